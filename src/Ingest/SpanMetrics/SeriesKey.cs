using System.Diagnostics.CodeAnalysis;

namespace TraceLink.Ingest.SpanMetrics;

/// <summary>The dimensions identifying one span-metrics series; <c>null</c> marks an omitted extra dimension.</summary>
internal sealed class SeriesKey(string service, string spanName, int kind, int status, string?[] dimensions)
{
    public string Service { get; } = service;

    public string SpanName { get; } = spanName;

    public int Kind { get; } = kind;

    public int Status { get; } = status;

    public string?[] Dimensions { get; } = dimensions;
}

/// <summary>A stack-only view of a span's dimensions, so looking up an existing series allocates nothing.</summary>
internal readonly ref struct SeriesProbe(string service, ReadOnlySpan<char> spanName, int kind, int status, ReadOnlySpan<string?> dimensions)
{
    public string Service { get; } = service;

    public ReadOnlySpan<char> SpanName { get; } = spanName;

    public int Kind { get; } = kind;

    public int Status { get; } = status;

    public ReadOnlySpan<string?> Dimensions { get; } = dimensions;
}

/// <summary>Compares keys with each other and with probes; hashes must agree between the two forms.</summary>
internal sealed class SeriesKeyComparer : IEqualityComparer<SeriesKey>, IAlternateEqualityComparer<SeriesProbe, SeriesKey>
{
    public static readonly SeriesKeyComparer Instance = new();

    public bool Equals(SeriesKey? x, SeriesKey? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null)
        {
            return false;
        }

        return x.Kind == y.Kind && x.Status == y.Status && x.Service == y.Service && x.SpanName == y.SpanName
            && DimensionsEqual(x.Dimensions, y.Dimensions);
    }

    public int GetHashCode([DisallowNull] SeriesKey obj) => Hash(obj.Service, obj.SpanName, obj.Kind, obj.Status, obj.Dimensions);

    public bool Equals(SeriesProbe alternate, SeriesKey other)
        => alternate.Kind == other.Kind && alternate.Status == other.Status && alternate.Service == other.Service
            && alternate.SpanName.SequenceEqual(other.SpanName) && DimensionsEqual(alternate.Dimensions, other.Dimensions);

    public int GetHashCode(SeriesProbe alternate) => Hash(alternate.Service, alternate.SpanName, alternate.Kind, alternate.Status, alternate.Dimensions);

    public SeriesKey Create(SeriesProbe alternate)
        => new(alternate.Service, alternate.SpanName.ToString(), alternate.Kind, alternate.Status, alternate.Dimensions.ToArray());

    private static bool DimensionsEqual(ReadOnlySpan<string?> x, ReadOnlySpan<string?> y)
    {
        if (x.Length != y.Length)
        {
            return false;
        }

        for (var i = 0; i < x.Length; i++)
        {
            if (!string.Equals(x[i], y[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static int Hash(string service, ReadOnlySpan<char> spanName, int kind, int status, ReadOnlySpan<string?> dimensions)
    {
        var hash = default(HashCode);
        hash.Add(service, StringComparer.Ordinal);
        hash.Add(string.GetHashCode(spanName, StringComparison.Ordinal));
        hash.Add(kind);
        hash.Add(status);
        foreach (var dimension in dimensions)
        {
            hash.Add(dimension is null ? -1 : StringComparer.Ordinal.GetHashCode(dimension));
        }

        return hash.ToHashCode();
    }
}
