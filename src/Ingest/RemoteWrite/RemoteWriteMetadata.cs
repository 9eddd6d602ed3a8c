using System.Text;

using TraceLink.Storage.Metadata;

namespace TraceLink.Ingest.RemoteWrite;

/// <summary>
/// Records the metric metadata the <see cref="RemoteWriteDecoder"/> found in its single pass over a body (1.0
/// <c>WriteRequest.metadata</c>, 2.0 per-series <c>TimeSeries.metadata</c> resolved through the symbols table) once
/// the samples are committed. Strings are made here, after the commit, and only for entries the store records.
/// </summary>
internal static class RemoteWriteMetadata
{
    /// <summary>Records <paramref name="entries"/> (ranges into <paramref name="body"/>) and flushes the store when something changed.</summary>
    public static void Record(MetricMetadataStore? store, ReadOnlySpan<byte> body, List<MetadataEntry> entries)
    {
        if (store is null || entries.Count == 0)
        {
            return;
        }

        bool changed = false;

        // 2.0 senders repeat one help/unit symbol for every series of a family; decode each range once in a row.
        int helpOffset = -1, helpLength = -1, unitOffset = -1, unitLength = -1;
        string help = string.Empty, unit = string.Empty;
        Span<char> small = stackalloc char[128];
        foreach (var e in entries)
        {
            if (e.HelpOffset != helpOffset || e.HelpLength != helpLength)
            {
                (helpOffset, helpLength) = (e.HelpOffset, e.HelpLength);
                help = Encoding.UTF8.GetString(body.Slice(e.HelpOffset, e.HelpLength));
            }

            if (e.UnitOffset != unitOffset || e.UnitLength != unitLength)
            {
                (unitOffset, unitLength) = (e.UnitOffset, e.UnitLength);
                unit = Encoding.UTF8.GetString(body.Slice(e.UnitOffset, e.UnitLength));
            }

            var name = body.Slice(e.NameOffset, e.NameLength);
            var chars = name.Length <= small.Length ? small : new char[name.Length];
            int length = Encoding.UTF8.GetChars(name, chars);
            changed |= store.Set(chars[..length], new MetricMetadata(ToType(e.Type), help, unit));
        }

        if (changed)
        {
            store.Flush();
        }
    }

    /// <summary>Classic histogram and summary series carry suffixed names; the metadata belongs to the family.</summary>
    public static int FamilyNameLength(ReadOnlySpan<byte> name, int type)
    {
        if ((MetricType)type is MetricType.Histogram or MetricType.GaugeHistogram or MetricType.Summary)
        {
            foreach (var suffix in (ReadOnlySpan<string>)["_bucket", "_count", "_sum", "_created", "_gcount", "_gsum"])
            {
                if (name.Length > suffix.Length && EndsWithAscii(name, suffix))
                {
                    return name.Length - suffix.Length;
                }
            }
        }

        return name.Length;
    }

    private static bool EndsWithAscii(ReadOnlySpan<byte> name, string suffix)
    {
        var tail = name[^suffix.Length..];
        for (var i = 0; i < suffix.Length; i++)
        {
            if (tail[i] != suffix[i])
            {
                return false;
            }
        }

        return true;
    }

    private static MetricType ToType(int type) => type is >= 0 and <= (int)MetricType.StateSet ? (MetricType)type : MetricType.Unknown;
}
