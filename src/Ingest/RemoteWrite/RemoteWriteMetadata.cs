using System.Buffers;
using System.Text;

using TraceLink.Storage.Metadata;

namespace TraceLink.Ingest.RemoteWrite;

/// <summary>
/// Pulls metric metadata out of a decoded remote-write body: 1.0 <c>WriteRequest.metadata</c> (field 3) and 2.0
/// per-series <c>TimeSeries.metadata</c> (field 5) resolved through the symbols table. It scans the raw protobuf itself,
/// skipping samples unread, so it does not depend on how the append path decodes the same bytes.
/// </summary>
internal static class RemoteWriteMetadata
{
    private const int WireVarint = 0;
    private const int Wire64 = 1;
    private const int WireLength = 2;
    private const int Wire32 = 5;

    /// <summary>Records every metadata entry of the body in <paramref name="store"/> and flushes it when something changed.</summary>
    public static void Record(MetricMetadataStore? store, ReadOnlySpan<byte> body, bool v2)
    {
        if (store is null)
        {
            return;
        }

        var changed = v2 ? RecordV2(store, body) : RecordV1(store, body);
        if (changed)
        {
            store.Flush();
        }
    }

    private static bool RecordV1(MetricMetadataStore store, ReadOnlySpan<byte> body)
    {
        var changed = false;
        var pos = 0;
        while (TryReadTag(body, ref pos, out var field, out var wire))
        {
            if (field != 3 || wire != WireLength)
            {
                if (!Skip(body, ref pos, wire))
                {
                    return changed;
                }

                continue;
            }

            if (!TryReadLength(body, ref pos, out var md))
            {
                return changed;
            }

            ulong type = 0;
            ReadOnlySpan<byte> name = default, help = default, unit = default;
            var p = 0;
            while (TryReadTag(md, ref p, out var f, out var w))
            {
                switch (f)
                {
                    case 1 when w == WireVarint:
                        if (!TryReadVarint(md, ref p, out type))
                        {
                            return changed;
                        }

                        break;
                    case 2 when w == WireLength:
                        if (!TryReadLength(md, ref p, out name))
                        {
                            return changed;
                        }

                        break;
                    case 4 when w == WireLength:
                        if (!TryReadLength(md, ref p, out help))
                        {
                            return changed;
                        }

                        break;
                    case 5 when w == WireLength:
                        if (!TryReadLength(md, ref p, out unit))
                        {
                            return changed;
                        }

                        break;
                    default:
                        if (!Skip(md, ref p, w))
                        {
                            return changed;
                        }

                        break;
                }
            }

            if (!name.IsEmpty)
            {
                changed |= store.Set(Encoding.UTF8.GetString(name), new MetricMetadata(ToType(type), Encoding.UTF8.GetString(help), Encoding.UTF8.GetString(unit)));
            }
        }

        return changed;
    }

    private static bool RecordV2(MetricMetadataStore store, ReadOnlySpan<byte> body)
    {
        // Symbols may legally follow the series on the wire, so collect their ranges first.
        var symbols = new List<Range>();
        var pos = 0;
        while (TryReadTag(body, ref pos, out var field, out var wire))
        {
            if (field == 4 && wire == WireLength)
            {
                if (!TryReadLength(body, ref pos, out var s))
                {
                    return false;
                }

                symbols.Add(new Range(pos - s.Length, pos));
            }
            else if (!Skip(body, ref pos, wire))
            {
                return false;
            }
        }

        var decoded = ArrayPool<string?>.Shared.Rent(Math.Max(symbols.Count, 1));
        Array.Clear(decoded, 0, symbols.Count);
        var changed = false;
        try
        {
            pos = 0;
            while (TryReadTag(body, ref pos, out var field, out var wire))
            {
                if (field != 5 || wire != WireLength)
                {
                    if (!Skip(body, ref pos, wire))
                    {
                        return changed;
                    }

                    continue;
                }

                if (!TryReadLength(body, ref pos, out var series))
                {
                    return changed;
                }

                changed |= RecordSeries(store, body, series, symbols, decoded);
            }
        }
        finally
        {
            ArrayPool<string?>.Shared.Return(decoded, clearArray: true);
        }

        return changed;
    }

    private static bool RecordSeries(MetricMetadataStore store, ReadOnlySpan<byte> body, ReadOnlySpan<byte> series, List<Range> symbols, string?[] decoded)
    {
        ReadOnlySpan<byte> refs = default;
        ReadOnlySpan<byte> metadata = default;
        var p = 0;
        while (TryReadTag(series, ref p, out var f, out var w))
        {
            if (f == 1 && w == WireLength)
            {
                if (!TryReadLength(series, ref p, out refs))
                {
                    return false;
                }
            }
            else if (f == 5 && w == WireLength)
            {
                if (!TryReadLength(series, ref p, out metadata))
                {
                    return false;
                }
            }
            else if (!Skip(series, ref p, w))
            {
                return false;
            }
        }

        if (metadata.IsEmpty)
        {
            return false;
        }

        ulong type = 0, helpRef = 0, unitRef = 0;
        p = 0;
        while (TryReadTag(metadata, ref p, out var f, out var w))
        {
            var ok = (f, w) switch
            {
                (1, WireVarint) => TryReadVarint(metadata, ref p, out type),
                (3, WireVarint) => TryReadVarint(metadata, ref p, out helpRef),
                (4, WireVarint) => TryReadVarint(metadata, ref p, out unitRef),
                _ => Skip(metadata, ref p, w),
            };
            if (!ok)
            {
                return false;
            }
        }

        if ((type == 0 && helpRef == 0 && unitRef == 0) || helpRef >= (ulong)symbols.Count || unitRef >= (ulong)symbols.Count)
        {
            return false;
        }

        // Packed label refs alternate name, value; find the value of __name__.
        ReadOnlySpan<byte> name = default;
        p = 0;
        while (p < refs.Length)
        {
            if (!TryReadVarint(refs, ref p, out var n) || !TryReadVarint(refs, ref p, out var v) || n >= (ulong)symbols.Count || v >= (ulong)symbols.Count)
            {
                return false;
            }

            if (body[symbols[(int)n]].SequenceEqual("__name__"u8))
            {
                name = body[symbols[(int)v]];
                break;
            }
        }

        if (name.IsEmpty)
        {
            return false;
        }

        var metricType = ToType(type);
        name = FamilyName(name, metricType);
        var metadataValue = new MetricMetadata(metricType, Symbol(body, symbols, decoded, (int)helpRef), Symbol(body, symbols, decoded, (int)unitRef));
        var chars = name.Length <= 256 ? stackalloc char[name.Length] : new char[name.Length];
        var length = Encoding.UTF8.GetChars(name, chars);
        return store.Set(chars[..length], metadataValue);
    }

    /// <summary>Classic histogram and summary series carry suffixed names; the metadata belongs to the family.</summary>
    private static ReadOnlySpan<byte> FamilyName(ReadOnlySpan<byte> name, MetricType type)
    {
        if (type is MetricType.Histogram or MetricType.GaugeHistogram or MetricType.Summary)
        {
            foreach (var suffix in (ReadOnlySpan<string>)["_bucket", "_count", "_sum", "_created", "_gcount", "_gsum"])
            {
                if (name.Length > suffix.Length && EndsWithAscii(name, suffix))
                {
                    return name[..^suffix.Length];
                }
            }
        }

        return name;
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

    private static string Symbol(ReadOnlySpan<byte> body, List<Range> symbols, string?[] decoded, int index) =>
        index == 0 ? string.Empty : decoded[index] ??= Encoding.UTF8.GetString(body[symbols[index]]);

    private static MetricType ToType(ulong type) => type <= (ulong)MetricType.StateSet ? (MetricType)type : MetricType.Unknown;

    private static bool TryReadTag(ReadOnlySpan<byte> data, ref int pos, out int field, out int wire)
    {
        field = 0;
        wire = 0;
        if (pos >= data.Length || !TryReadVarint(data, ref pos, out var tag) || tag > int.MaxValue)
        {
            return false;
        }

        field = (int)(tag >> 3);
        wire = (int)(tag & 7);
        return field > 0;
    }

    private static bool TryReadLength(ReadOnlySpan<byte> data, scoped ref int pos, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!TryReadVarint(data, ref pos, out var length) || length > (ulong)(data.Length - pos))
        {
            return false;
        }

        value = data.Slice(pos, (int)length);
        pos += (int)length;
        return true;
    }

    private static bool Skip(ReadOnlySpan<byte> data, ref int pos, int wire)
    {
        switch (wire)
        {
            case WireVarint:
                return TryReadVarint(data, ref pos, out _);
            case Wire64:
                pos += 8;
                return pos <= data.Length;
            case WireLength:
                return TryReadLength(data, ref pos, out _);
            case Wire32:
                pos += 4;
                return pos <= data.Length;
            default:
                return false;
        }
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length)
            {
                return false;
            }

            var b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
