using System.Globalization;
using System.Text;

using Microsoft.AspNetCore.Http;

using TraceLink.Protocol.Wire;
using TraceLink.Storage.Tsdb;

using V1 = Prometheus;
using V2 = Io.Prometheus.Write.V2;

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

    /// <summary>The pooled appender that goes with this decoder; null after a failed request.</summary>
    public ISeriesKeyAppender? Appender { get; set; }

    public WrittenCounts DecodeV1(ReadOnlySpan<byte> body, ISeriesKeyAppender appender)
    {
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
            else
            {
                // Field 3 is metric metadata (prometheus.MetricMetadata), which the TSDB does not store;
                // RemoteWriteMetadata reads it after the commit.
                r.Skip(wt);
            }
        }

        return counts;
    }

    public WrittenCounts DecodeV2(ReadOnlySpan<byte> body, ISeriesKeyAppender appender)
    {
        // Symbols come first on the wire in practice, but nothing requires it: collect them in a pass of their own.
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
                    var e = V1.Exemplar.Parser.ParseFrom(message.Slice(eo, el));
                    var labels = new Label[e.Labels.Count];
                    for (int i = 0; i < labels.Length; i++)
                    {
                        labels[i] = new Label(e.Labels[i].Name, e.Labels[i].Value);
                    }

                    appender.AppendExemplar(series, new Exemplar(labels, e.Value, e.Timestamp));
                    counts.Exemplars++;
                    break;
                case 4:
                    ProtoReader.Expect(wt, 2);
                    int ho = r.LengthDelimited(out int hl);
                    var h = V1.Histogram.Parser.ParseFrom(message.Slice(ho, hl));
                    HistogramConversion.Append(appender, series, h.Timestamp, h.CountCase == V1.Histogram.CountOneofCase.CountFloat, h.CountInt, h.CountFloat, h.ZeroCountInt, h.ZeroCountFloat, h.Sum, h.Schema, h.ZeroThreshold,
                        (CounterResetHint)(int)h.ResetHint, HistogramConversion.Spans(h.PositiveSpans), HistogramConversion.Spans(h.NegativeSpans), h.PositiveDeltas, h.NegativeDeltas, h.PositiveCounts, h.NegativeCounts, h.CustomValues);
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
                    var h = V2.Histogram.Parser.ParseFrom(message.Slice(ho, hl));
                    HistogramConversion.Append(appender, series, h.Timestamp, h.CountCase == V2.Histogram.CountOneofCase.CountFloat, h.CountInt, h.CountFloat, h.ZeroCountInt, h.ZeroCountFloat, h.Sum, h.Schema, h.ZeroThreshold,
                        (CounterResetHint)(int)h.ResetHint, HistogramConversion.Spans(h.PositiveSpans), HistogramConversion.Spans(h.NegativeSpans), h.PositiveDeltas, h.NegativeDeltas, h.PositiveCounts, h.NegativeCounts, h.CustomValues);
                    counts.Histograms++;
                    break;
                case 4:
                    ProtoReader.Expect(wt, 2);
                    int eo = r.LengthDelimited(out int el);
                    var e = V2.Exemplar.Parser.ParseFrom(message.Slice(eo, el));
                    appender.AppendExemplar(series, new Exemplar(ExemplarLabels(body, e.LabelsRefs, symbolCount), e.Value, e.Timestamp));
                    counts.Exemplars++;
                    break;
                default:
                    // Field 5 (metadata: type, help_ref, unit_ref) is read by RemoteWriteMetadata after the commit.
                    r.Skip(wt);
                    break;
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

    private Label[] ExemplarLabels(ReadOnlySpan<byte> body, Google.Protobuf.Collections.RepeatedField<uint> refs, int symbolCount)
    {
        if (refs.Count % 2 != 0)
        {
            throw new RemoteWriteRejection(StatusCodes.Status400BadRequest, "labels_refs has an odd length");
        }

        var labels = new Label[refs.Count / 2];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = new Label(Symbol(body, refs[2 * i], symbolCount), Symbol(body, refs[(2 * i) + 1], symbolCount));
        }

        return labels;
    }

    private string Symbol(ReadOnlySpan<byte> body, uint symbol, int symbolCount)
    {
        if (symbol >= (uint)symbolCount)
        {
            throw new RemoteWriteRejection(StatusCodes.Status400BadRequest, string.Create(CultureInfo.InvariantCulture, $"labels_refs index {symbol} outside the symbols table ({symbolCount} entries)"));
        }

        return Encoding.UTF8.GetString(body.Slice(_symbols[symbol * 2], _symbols[(symbol * 2) + 1]));
    }
}
