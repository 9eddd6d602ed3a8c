using System.Globalization;
using System.Text;

using Microsoft.AspNetCore.Http;

using TraceLink.Protocol.Wire;
using TraceLink.Storage.Tsdb;


namespace TraceLink.Ingest.RemoteWrite;

/// <summary>
/// Decodes remote-write 1.0 and 2.0 bodies straight from the wire bytes into an <see cref="ISeriesKeyAppender"/>:
/// labels become a <see cref="SeriesKey"/> built from the raw bytes and float samples are read in place, so a
/// request of known series allocates nothing per sample. Label sets that fail the byte-level checks go through
/// <see cref="SeriesValidation"/> for the exact rejection (or clean-up of empty values). Native histograms and
/// exemplars are parsed with the generated messages. Reusable, not thread-safe.
/// </summary>
internal sealed class RemoteWriteDecoder
{
    private static ReadOnlySpan<byte> MetricNameLabel => "__name__"u8;

    private byte[] _key = new byte[512];

    // Per label: name offset, name length, value offset, value length (offsets into the body).
    private int[] _labels = new int[64];

    // Remote-write 2.0 symbols table: offset, length per symbol.
    private int[] _symbols = new int[512];

    // The last uncommon exemplar label name and its bytes, reused while it repeats.
    private string? _lastName;
    private byte[] _lastNameBytes = [];

    /// <summary>The pooled appender that goes with this decoder; null after a failed request.</summary>
    public ISeriesKeyAppender? Appender { get; set; }

    /// <summary>Metadata entries of the last decoded body, in wire order.</summary>
    public List<MetadataEntry> Metadata { get; } = [];

    public WrittenCounts DecodeV1(ReadOnlySpan<byte> body, ISeriesKeyAppender appender)
    {
        Metadata.Clear();
        var counts = default(WrittenCounts);
        var r = new ProtoReader(body);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            if (field == 1)
            {
                ProtoReader.Expect(wt, 2);
                int off = r.LengthDelimited(out int len);
                TimeSeriesV1(body, off, len, appender, ref counts);
            }
            else if (field == 3)
            {
                // Metric metadata is not the TSDB's: the ranges go to RemoteWriteMetadata after the commit.
                ProtoReader.Expect(wt, 2);
                int off = r.LengthDelimited(out int len);
                MetadataV1(body[..(off + len)], off);
            }
            else
            {
                r.Skip(wt);
            }
        }

        return counts;
    }

    public WrittenCounts DecodeV2(ReadOnlySpan<byte> body, ISeriesKeyAppender appender)
    {
        // Symbols come first on the wire in practice, but nothing requires it: collect them in a pass of their own.
        Metadata.Clear();
        int symbolCount = 0;
        var r = new ProtoReader(body);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            if (field == 4)
            {
                ProtoReader.Expect(wt, 2);
                int off = r.LengthDelimited(out int len);
                if (_symbols.Length < (symbolCount + 1) * 2)
                {
                    Array.Resize(ref _symbols, _symbols.Length * 2);
                }

                _symbols[symbolCount * 2] = off;
                _symbols[(symbolCount * 2) + 1] = len;
                symbolCount++;
            }
            else
            {
                r.Skip(wt);
            }
        }

        var counts = default(WrittenCounts);
        r = new ProtoReader(body);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            if (field == 5)
            {
                ProtoReader.Expect(wt, 2);
                int off = r.LengthDelimited(out int len);
                TimeSeriesV2(body, off, len, symbolCount, appender, ref counts);
            }
            else
            {
                r.Skip(wt);
            }
        }

        return counts;
    }

    private void TimeSeriesV1(ReadOnlySpan<byte> body, int offset, int length, ISeriesKeyAppender appender, ref WrittenCounts counts)
    {
        var message = body[..(offset + length)];
        int labelCount = 0;
        var r = new ProtoReader(message, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            if (field != 1)
            {
                r.Skip(wt);
                continue;
            }

            ProtoReader.Expect(wt, 2);
            int lo = r.LengthDelimited(out int ll);
            AddLabelV1(message[..(lo + ll)], lo, labelCount++);
        }

        int series = ResolveSeries(body, labelCount, appender);
        r = new ProtoReader(message, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            switch (field)
            {
                case 2:
                    AppendSample(message, ref r, wt, series, appender, ref counts);
                    break;
                case 3:
                    ProtoReader.Expect(wt, 2);
                    int eo = r.LengthDelimited(out int el);
                    appender.AppendExemplar(series, ExemplarV1(message, eo, el));
                    counts.Exemplars++;
                    break;
                case 4:
                    ProtoReader.Expect(wt, 2);
                    int ho = r.LengthDelimited(out int hl);
                    WireHistogram.Append(message, ho, hl, appender, series);
                    counts.Histograms++;
                    break;
                default:
                    r.Skip(wt);
                    break;
            }
        }
    }

    private void TimeSeriesV2(ReadOnlySpan<byte> body, int offset, int length, int symbolCount, ISeriesKeyAppender appender, ref WrittenCounts counts)
    {
        var message = body[..(offset + length)];
        int refCount = 0;
        var r = new ProtoReader(message, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            if (field != 1)
            {
                r.Skip(wt);
                continue;
            }

            if (wt == 0)
            {
                AddRef((uint)r.Varint(), refCount++, symbolCount);
                continue;
            }

            ProtoReader.Expect(wt, 2);
            int po = r.LengthDelimited(out int pl);
            var packed = new ProtoReader(message[..(po + pl)], po);
            while (!packed.End)
            {
                AddRef((uint)packed.Varint(), refCount++, symbolCount);
            }
        }

        if (refCount % 2 != 0)
        {
            throw new RemoteWriteRejection(StatusCodes.Status400BadRequest, "labels_refs has an odd length");
        }

        int series = ResolveSeries(body, refCount / 2, appender);
        r = new ProtoReader(message, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            switch (field)
            {
                case 2:
                    AppendSample(message, ref r, wt, series, appender, ref counts);
                    break;
                case 3:
                    ProtoReader.Expect(wt, 2);
                    int ho = r.LengthDelimited(out int hl);
                    WireHistogram.Append(message, ho, hl, appender, series);
                    counts.Histograms++;
                    break;
                case 4:
                    ProtoReader.Expect(wt, 2);
                    int eo = r.LengthDelimited(out int el);
                    appender.AppendExemplar(series, ExemplarV2(body, message, eo, el, symbolCount));
                    counts.Exemplars++;
                    break;
                case 5:
                    ProtoReader.Expect(wt, 2);
                    int mo = r.LengthDelimited(out int ml);
                    MetadataV2(body, message[..(mo + ml)], mo, refCount / 2, symbolCount);
                    break;
                default:
                    r.Skip(wt);
                    break;
            }
        }
    }

    private void MetadataV1(ReadOnlySpan<byte> message, int offset)
    {
        int type = 0, nameOffset = 0, nameLength = 0, helpOffset = 0, helpLength = 0, unitOffset = 0, unitLength = 0;
        var r = new ProtoReader(message, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            switch (field)
            {
                case 1 when wt == 0: type = (int)Math.Min(r.Varint(), int.MaxValue); break;
                case 2 when wt == 2: nameOffset = r.LengthDelimited(out nameLength); break;
                case 4 when wt == 2: helpOffset = r.LengthDelimited(out helpLength); break;
                case 5 when wt == 2: unitOffset = r.LengthDelimited(out unitLength); break;
                default: r.Skip(wt); break;
            }
        }

        if (nameLength > 0)
        {
            Metadata.Add(new MetadataEntry(type, nameOffset, nameLength, helpOffset, helpLength, unitOffset, unitLength));
        }
    }

    /// <summary>A 2.0 series' metadata (type, help_ref, unit_ref) under the series' <c>__name__</c>, its refs resolved through the symbols.</summary>
    private void MetadataV2(ReadOnlySpan<byte> body, ReadOnlySpan<byte> message, int offset, int labelCount, int symbolCount)
    {
        ulong type = 0, helpRef = 0, unitRef = 0;
        var r = new ProtoReader(message, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            switch (field)
            {
                case 1 when wt == 0: type = r.Varint(); break;
                case 3 when wt == 0: helpRef = r.Varint(); break;
                case 4 when wt == 0: unitRef = r.Varint(); break;
                default: r.Skip(wt); break;
            }
        }

        // An all-default message means the sender had no metadata; a ref outside the table is ignored, not rejected,
        // since the samples themselves are fine.
        if ((type == 0 && helpRef == 0 && unitRef == 0) || helpRef >= (ulong)symbolCount || unitRef >= (ulong)symbolCount)
        {
            return;
        }

        for (int i = 0; i < labelCount; i++)
        {
            int b = i * 4;
            if (body.Slice(_labels[b], _labels[b + 1]).SequenceEqual(MetricNameLabel) && _labels[b + 3] > 0)
            {
                int t = (int)Math.Min(type, int.MaxValue);
                int nameLength = RemoteWriteMetadata.FamilyNameLength(body.Slice(_labels[b + 2], _labels[b + 3]), t);
                int h = (int)helpRef, u = (int)unitRef;
                Metadata.Add(new MetadataEntry(t, _labels[b + 2], nameLength, h == 0 ? 0 : _symbols[h * 2], h == 0 ? 0 : _symbols[(h * 2) + 1], u == 0 ? 0 : _symbols[u * 2], u == 0 ? 0 : _symbols[(u * 2) + 1]));
                return;
            }
        }
    }

    private static void AppendSample(ReadOnlySpan<byte> message, ref ProtoReader r, int wireType, int series, ISeriesKeyAppender appender, ref WrittenCounts counts)
    {
        ProtoReader.Expect(wireType, 2);
        int offset = r.LengthDelimited(out int length);
        ReadSample(message[..(offset + length)], offset, out long t, out double v);
        appender.AppendFloat(series, t, v);
        counts.Samples++;
    }

    private static void ReadSample(ReadOnlySpan<byte> message, int offset, out long t, out double v)
    {
        t = 0;
        v = 0;
        var r = new ProtoReader(message, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            if (field == 1 && wt == 1)
            {
                v = r.Double();
            }
            else if (field == 2 && wt == 0)
            {
                t = (long)r.Varint();
            }
            else
            {
                r.Skip(wt);
            }
        }
    }

    private void AddLabelV1(ReadOnlySpan<byte> message, int offset, int index)
    {
        EnsureLabels(index);
        int b = index * 4;
        _labels[b] = 0;
        _labels[b + 1] = 0;
        _labels[b + 2] = 0;
        _labels[b + 3] = 0;
        var r = new ProtoReader(message, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            if (field is 1 or 2 && wt == 2)
            {
                int o = r.LengthDelimited(out int l);
                _labels[b + ((field - 1) * 2)] = o;
                _labels[b + ((field - 1) * 2) + 1] = l;
            }
            else
            {
                r.Skip(wt);
            }
        }
    }

    private void AddRef(uint symbol, int index, int symbolCount)
    {
        if (symbol >= (uint)symbolCount)
        {
            throw new RemoteWriteRejection(StatusCodes.Status400BadRequest, string.Create(CultureInfo.InvariantCulture, $"labels_refs index {symbol} outside the symbols table ({symbolCount} entries)"));
        }

        // Entry 2k is a name, 2k+1 a value; both land in the same 4-int layout as 1.0 labels.
        EnsureLabels(index / 2);
        _labels[index * 2] = _symbols[symbol * 2];
        _labels[(index * 2) + 1] = _symbols[(symbol * 2) + 1];
    }

    private void EnsureLabels(int index)
    {
        if (_labels.Length < (index + 1) * 4)
        {
            Array.Resize(ref _labels, Math.Max((index + 1) * 4, _labels.Length * 2));
        }
    }

    /// <summary>Names the series for the appender: by key bytes when the labels pass the byte checks, else via strings.</summary>
    private int ResolveSeries(ReadOnlySpan<byte> body, int labelCount, ISeriesKeyAppender appender)
    {
        if (FastValid(body, labelCount))
        {
            int pos = 0;
            for (int i = 0; i < labelCount; i++)
            {
                int b = i * 4;
                pos = SeriesKey.AppendLabel(ref _key, pos, body.Slice(_labels[b], _labels[b + 1]), body.Slice(_labels[b + 2], _labels[b + 3]));
            }

            return appender.SeriesRef(_key.AsSpan(0, pos));
        }

        var labels = new Label[labelCount];
        for (int i = 0; i < labelCount; i++)
        {
            int b = i * 4;
            labels[i] = new Label(Encoding.UTF8.GetString(body.Slice(_labels[b], _labels[b + 1])), Encoding.UTF8.GetString(body.Slice(_labels[b + 2], _labels[b + 3])));
        }

        return appender.SeriesRef(SeriesValidation.Validate(labels));
    }

    /// <summary>The rules of <see cref="SeriesValidation"/> checked on bytes; false sends the set down the string path.</summary>
    private bool FastValid(ReadOnlySpan<byte> body, int labelCount)
    {
        bool hasName = false;
        for (int i = 0; i < labelCount; i++)
        {
            int b = i * 4;
            var name = body.Slice(_labels[b], _labels[b + 1]);
            if (name.IsEmpty || _labels[b + 3] == 0)
            {
                return false;
            }

            if (i > 0 && body.Slice(_labels[b - 4], _labels[b - 3]).SequenceCompareTo(name) >= 0)
            {
                return false;
            }

            if (name.SequenceEqual(MetricNameLabel))
            {
                if (!IsValidMetricName(body.Slice(_labels[b + 2], _labels[b + 3])))
                {
                    return false;
                }

                hasName = true;
            }
        }

        return hasName;
    }

    private static bool IsValidMetricName(ReadOnlySpan<byte> name)
    {
        for (int i = 0; i < name.Length; i++)
        {
            byte c = name[i];
            bool ok = c is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (byte)'_' or (byte)':' || (i > 0 && c is >= (byte)'0' and <= (byte)'9');
            if (!ok)
            {
                return false;
            }
        }

        return name.Length > 0;
    }

    /// <summary>A 1.0 exemplar read in place: one label array and its strings, no generated message.</summary>
    private Exemplar ExemplarV1(ReadOnlySpan<byte> message, int offset, int length)
    {
        var m = message[..(offset + length)];
        int labelCount = 0;
        var r = new ProtoReader(m, offset);
        while (!r.End)
        {
            if (r.Tag(out int wt) == 1)
            {
                labelCount++;
            }

            r.Skip(wt);
        }

        var labels = labelCount == 0 ? [] : new Label[labelCount];
        double value = 0;
        long timestamp = 0;
        int at = 0;
        r = new ProtoReader(m, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            switch (field)
            {
                case 1:
                    ProtoReader.Expect(wt, 2);
                    int lo = r.LengthDelimited(out int ll);
                    labels[at++] = LabelV1(m[..(lo + ll)], lo);
                    break;
                case 2: ProtoReader.Expect(wt, 1); value = r.Double(); break;
                case 3: ProtoReader.Expect(wt, 0); timestamp = (long)r.Varint(); break;
                default: r.Skip(wt); break;
            }
        }

        return new Exemplar(labels, value, timestamp);
    }

    private Label LabelV1(ReadOnlySpan<byte> message, int offset)
    {
        string name = string.Empty, value = string.Empty;
        var r = new ProtoReader(message, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            if (field is 1 or 2 && wt == 2)
            {
                int o = r.LengthDelimited(out int l);
                if (field == 1)
                {
                    name = Name(message.Slice(o, l));
                }
                else
                {
                    value = Encoding.UTF8.GetString(message.Slice(o, l));
                }
            }
            else
            {
                r.Skip(wt);
            }
        }

        return new Label(name, value);
    }

    /// <summary>A 2.0 exemplar read in place; its label refs index the request's symbols table.</summary>
    private Exemplar ExemplarV2(ReadOnlySpan<byte> body, ReadOnlySpan<byte> message, int offset, int length, int symbolCount)
    {
        var m = message[..(offset + length)];
        int refCount = 0;
        var r = new ProtoReader(m, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            if (field == 1 && wt == 0)
            {
                r.Varint();
                refCount++;
            }
            else if (field == 1 && wt == 2)
            {
                int o = r.LengthDelimited(out int l);
                foreach (byte b in m.Slice(o, l))
                {
                    refCount += b < 0x80 ? 1 : 0;
                }
            }
            else
            {
                r.Skip(wt);
            }
        }

        if (refCount % 2 != 0)
        {
            throw new RemoteWriteRejection(StatusCodes.Status400BadRequest, "labels_refs has an odd length");
        }

        var labels = refCount == 0 ? [] : new Label[refCount / 2];
        var refs = refCount <= 64 ? stackalloc uint[refCount] : new uint[refCount];
        int at = 0;
        double value = 0;
        long timestamp = 0;
        r = new ProtoReader(m, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            switch (field)
            {
                case 1 when wt == 0:
                    refs[at++] = (uint)r.Varint();
                    break;
                case 1:
                    ProtoReader.Expect(wt, 2);
                    int o = r.LengthDelimited(out int l);
                    var packed = new ProtoReader(m[..(o + l)], o);
                    while (!packed.End)
                    {
                        refs[at++] = (uint)packed.Varint();
                    }

                    break;
                case 2: ProtoReader.Expect(wt, 1); value = r.Double(); break;
                case 3: ProtoReader.Expect(wt, 0); timestamp = (long)r.Varint(); break;
                default: r.Skip(wt); break;
            }
        }

        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = new Label(Name(SymbolBytes(body, refs[2 * i], symbolCount)), Encoding.UTF8.GetString(SymbolBytes(body, refs[(2 * i) + 1], symbolCount)));
        }

        return new Exemplar(labels, value, timestamp);
    }

    /// <summary>An exemplar label name: the common ones (trace_id, span_id) reuse one string instead of a new one each time.</summary>
    private string Name(ReadOnlySpan<byte> utf8)
    {
        if (_lastName is not null && _lastNameBytes.AsSpan().SequenceEqual(utf8))
        {
            return _lastName;
        }

        if (utf8.SequenceEqual("trace_id"u8))
        {
            return "trace_id";
        }

        if (utf8.SequenceEqual("span_id"u8))
        {
            return "span_id";
        }

        _lastName = Encoding.UTF8.GetString(utf8);
        _lastNameBytes = utf8.ToArray();
        return _lastName;
    }

    /// <summary>The bytes of a 2.0 symbol; a ref outside the table rejects the request.</summary>
    private ReadOnlySpan<byte> SymbolBytes(ReadOnlySpan<byte> body, uint symbol, int symbolCount)
    {
        if (symbol >= (uint)symbolCount)
        {
            throw new RemoteWriteRejection(StatusCodes.Status400BadRequest, string.Create(CultureInfo.InvariantCulture, $"labels_refs index {symbol} outside the symbols table ({symbolCount} entries)"));
        }

        return body.Slice(_symbols[symbol * 2], _symbols[(symbol * 2) + 1]);
    }
}
