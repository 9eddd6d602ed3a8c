using TraceLink.Protocol.Wire;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Ingest.RemoteWrite;

/// <summary>
/// Reads a remote-write native histogram (1.0 <c>prometheus.Histogram</c> and 2.0 <c>io.prometheus.write.v2.Histogram</c>
/// share field numbers) straight from the wire into the TSDB's <see cref="Histogram"/>/<see cref="FloatHistogram"/>:
/// one pass counts the repeated fields, a second fills exact-size arrays of the appender's reusable histogram (see
/// <see cref="ISeriesKeyAppender.NewHistogram"/>), so a histogram whose layout sizes repeat allocates nothing.
/// </summary>
internal static class WireHistogram
{
    /// <summary>Parses the histogram message at <paramref name="offset"/> (<paramref name="length"/> bytes) and appends it.</summary>
    public static void Append(ReadOnlySpan<byte> body, int offset, int length, ISeriesKeyAppender appender, int series)
    {
        var message = body[..(offset + length)];
        Counts n = default;
        bool isFloat = false;
        var r = new ProtoReader(message, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            switch (field)
            {
                case 1: isFloat = false; r.Skip(wt); break;
                case 2: isFloat = true; r.Skip(wt); break;
                case 8: n.NegSpans++; r.Skip(wt); break;
                case 11: n.PosSpans++; r.Skip(wt); break;
                case 9: n.NegDeltas += CountVarints(message, ref r, wt); break;
                case 12: n.PosDeltas += CountVarints(message, ref r, wt); break;
                case 10: n.NegCounts += CountDoubles(ref r, wt); break;
                case 13: n.PosCounts += CountDoubles(ref r, wt); break;
                case 16: n.Custom += CountDoubles(ref r, wt); break;
                default: r.Skip(wt); break;
            }
        }

        // The appender's histogram (reused across batches) gets arrays of the exact sizes, its own where they fit.
        Histogram? integer = isFloat ? null : appender.NewHistogram();
        FloatHistogram? floating = isFloat ? appender.NewFloatHistogram() : null;
        var posSpans = Sized(isFloat ? floating!.PositiveSpans : integer!.PositiveSpans, n.PosSpans);
        var negSpans = Sized(isFloat ? floating!.NegativeSpans : integer!.NegativeSpans, n.NegSpans);
        var custom = Sized(isFloat ? floating!.CustomValues : integer!.CustomValues, n.Custom);
        long[] posDeltas = [], negDeltas = [];
        double[] posCounts = [], negCounts = [];
        if (isFloat)
        {
            posCounts = Sized(floating!.PositiveBuckets, n.PosCounts);
            negCounts = Sized(floating.NegativeBuckets, n.NegCounts);
        }
        else
        {
            posDeltas = Sized(integer!.PositiveBuckets, n.PosDeltas);
            negDeltas = Sized(integer.NegativeBuckets, n.NegDeltas);
        }

        Counts at = default;
        ulong countInt = 0, zeroInt = 0;
        double countFloat = 0, zeroFloat = 0, sum = 0, zeroThreshold = 0;
        int schema = 0;
        long timestamp = 0;
        var hint = CounterResetHint.Unknown;
        r = new ProtoReader(message, offset);
        while (!r.End)
        {
            int field = r.Tag(out int wt);
            switch (field)
            {
                case 1: ProtoReader.Expect(wt, 0); countInt = r.Varint(); break;
                case 2: ProtoReader.Expect(wt, 1); countFloat = r.Double(); break;
                case 3: ProtoReader.Expect(wt, 1); sum = r.Double(); break;
                case 4: ProtoReader.Expect(wt, 0); schema = (int)ZigZag(r.Varint()); break;
                case 5: ProtoReader.Expect(wt, 1); zeroThreshold = r.Double(); break;
                case 6: ProtoReader.Expect(wt, 0); zeroInt = r.Varint(); zeroFloat = 0; break;
                case 7: ProtoReader.Expect(wt, 1); zeroFloat = r.Double(); zeroInt = 0; break;
                case 8: negSpans[at.NegSpans++] = Span(message, ref r, wt); break;
                case 11: posSpans[at.PosSpans++] = Span(message, ref r, wt); break;
                case 9: ReadDeltas(message, ref r, wt, negDeltas, ref at.NegDeltas); break;
                case 12: ReadDeltas(message, ref r, wt, posDeltas, ref at.PosDeltas); break;
                case 10: ReadDoubles(message, ref r, wt, negCounts, ref at.NegCounts); break;
                case 13: ReadDoubles(message, ref r, wt, posCounts, ref at.PosCounts); break;
                case 16: ReadDoubles(message, ref r, wt, custom, ref at.Custom); break;
                case 14: ProtoReader.Expect(wt, 0); hint = (CounterResetHint)(int)r.Varint(); break;
                case 15: ProtoReader.Expect(wt, 0); timestamp = (long)r.Varint(); break;
                default: r.Skip(wt); break;
            }
        }

        if (isFloat)
        {
            floating!.CounterResetHint = hint;
            floating.Schema = schema;
            floating.ZeroThreshold = zeroThreshold;
            floating.ZeroCount = zeroFloat;
            floating.Count = countFloat;
            floating.Sum = sum;
            floating.PositiveSpans = posSpans;
            floating.NegativeSpans = negSpans;
            floating.PositiveBuckets = posCounts;
            floating.NegativeBuckets = negCounts;
            floating.CustomValues = custom;
            appender.AppendFloatHistogram(series, timestamp, floating);
        }
        else
        {
            integer!.CounterResetHint = hint;
            integer.Schema = schema;
            integer.ZeroThreshold = zeroThreshold;
            integer.ZeroCount = zeroInt;
            integer.Count = countInt;
            integer.Sum = sum;
            integer.PositiveSpans = posSpans;
            integer.NegativeSpans = negSpans;
            integer.PositiveBuckets = posDeltas;
            integer.NegativeBuckets = negDeltas;
            integer.CustomValues = custom;
            appender.AppendHistogram(series, timestamp, integer);
        }
    }

    /// <summary>An array of <paramref name="length"/> elements: <paramref name="array"/> itself when it has that length (to be overwritten).</summary>
    private static T[] Sized<T>(T[] array, int length) => length == 0 ? [] : array.Length == length ? array : new T[length];

    private static long ZigZag(ulong v) => (long)(v >> 1) ^ -(long)(v & 1);

    private static int CountVarints(ReadOnlySpan<byte> message, ref ProtoReader r, int wireType)
    {
        if (wireType == 0)
        {
            r.Varint();
            return 1;
        }

        ProtoReader.Expect(wireType, 2);
        int o = r.LengthDelimited(out int l);
        int count = 0;
        foreach (byte b in message.Slice(o, l))
        {
            if (b < 0x80)
            {
                count++;
            }
        }

        return count;
    }

    private static int CountDoubles(ref ProtoReader r, int wireType)
    {
        if (wireType == 1)
        {
            r.Double();
            return 1;
        }

        ProtoReader.Expect(wireType, 2);
        r.LengthDelimited(out int l);
        if (l % 8 != 0)
        {
            ProtoReader.Fail("packed doubles not a multiple of 8 bytes");
        }

        return l / 8;
    }

    private static void ReadDeltas(ReadOnlySpan<byte> message, ref ProtoReader r, int wireType, Span<long> into, ref int at)
    {
        if (wireType == 0)
        {
            long v = ZigZag(r.Varint());
            if (!into.IsEmpty)
            {
                into[at++] = v;
            }

            return;
        }

        ProtoReader.Expect(wireType, 2);
        int o = r.LengthDelimited(out int l);
        var packed = new ProtoReader(message[..(o + l)], o);
        while (!packed.End)
        {
            long v = ZigZag(packed.Varint());
            if (!into.IsEmpty)
            {
                into[at++] = v;
            }
        }
    }

    private static void ReadDoubles(ReadOnlySpan<byte> message, ref ProtoReader r, int wireType, Span<double> into, ref int at)
    {
        if (wireType == 1)
        {
            double v = r.Double();
            if (!into.IsEmpty)
            {
                into[at++] = v;
            }

            return;
        }

        ProtoReader.Expect(wireType, 2);
        int o = r.LengthDelimited(out int l);
        var packed = new ProtoReader(message[..(o + l)], o);
        while (!packed.End)
        {
            double v = packed.Double();
            if (!into.IsEmpty)
            {
                into[at++] = v;
            }
        }
    }

    private static BucketSpan Span(ReadOnlySpan<byte> message, ref ProtoReader r, int wireType)
    {
        ProtoReader.Expect(wireType, 2);
        int o = r.LengthDelimited(out int l);
        var s = new ProtoReader(message[..(o + l)], o);
        int offset = 0;
        uint length = 0;
        while (!s.End)
        {
            int field = s.Tag(out int wt);
            if (field == 1 && wt == 0)
            {
                offset = (int)ZigZag(s.Varint());
            }
            else if (field == 2 && wt == 0)
            {
                length = (uint)s.Varint();
            }
            else
            {
                s.Skip(wt);
            }
        }

        return new BucketSpan(offset, length);
    }

    private struct Counts
    {
        public int PosSpans;
        public int NegSpans;
        public int PosDeltas;
        public int NegDeltas;
        public int PosCounts;
        public int NegCounts;
        public int Custom;
    }
}
