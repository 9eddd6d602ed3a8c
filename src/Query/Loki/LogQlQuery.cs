using System.Buffers;

using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.Loki;

/// <summary>A parsed LogQL log query: a stream selector and line filters applied in order.</summary>
internal sealed class LogQlQuery(IReadOnlyList<LabelMatcher> matchers, IReadOnlyList<LineFilter> filters)
{
    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

    public IReadOnlyList<LabelMatcher> Matchers { get; } = matchers;

    public IReadOnlyList<LineFilter> Filters { get; } = filters;

    public bool Accepts(string line)
    {
        foreach (var filter in Filters)
        {
            if (!filter.Accepts(line))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The 16-byte trace id when a <c>|=</c> filter names one as <c>trace_id=&lt;32 hex&gt;</c> (or as bare hex), so the trace index can answer.</summary>
    public byte[]? TraceIdHint()
    {
        foreach (var filter in Filters)
        {
            if (filter.Type != LineFilterType.Contains)
            {
                continue;
            }

            var value = filter.Value.AsSpan();
            if (value.StartsWith("trace_id="))
            {
                value = value["trace_id=".Length..];
            }

            if (value.Length == 32 && !value.ContainsAnyExcept(LowerHex))
            {
                return Convert.FromHexString(value);
            }
        }

        return null;
    }
}
