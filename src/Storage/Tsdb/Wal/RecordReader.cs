using System.Buffers.Binary;
using System.Text;

namespace TraceLink.Storage.Tsdb.Wal;

/// <summary>Reads what <see cref="RecordWriter"/> wrote; throws <see cref="InvalidDataException"/> on truncation.</summary>
internal ref struct RecordReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public RecordReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    public readonly bool End => _pos >= _data.Length;

    public readonly int Position => _pos;

    public byte Byte()
    {
        Need(1);
        return _data[_pos++];
    }

    public ulong UVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = Byte();
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("varint overflow");
    }

    public long Varint()
    {
        ulong u = UVarint();
        return (long)(u >> 1) ^ -(long)(u & 1);
    }

    public ulong UInt64()
    {
        Need(8);
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(_data.Slice(_pos));
        _pos += 8;
        return v;
    }

    public double Double() => BitConverter.UInt64BitsToDouble(UInt64());

    public string String()
    {
        int n = checked((int)UVarint());
        Need(n);
        string s = Encoding.UTF8.GetString(_data.Slice(_pos, n));
        _pos += n;
        return s;
    }

    public ReadOnlySpan<byte> Bytes(int n)
    {
        Need(n);
        var s = _data.Slice(_pos, n);
        _pos += n;
        return s;
    }

    public Label[] Labels()
    {
        var labels = new Label[checked((int)UVarint())];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = new Label(String(), String());
        }

        return labels;
    }

    public BucketSpan[] Spans()
    {
        var spans = new BucketSpan[checked((int)UVarint())];
        for (int i = 0; i < spans.Length; i++)
        {
            int offset = (int)Varint();
            spans[i] = new BucketSpan(offset, (uint)UVarint());
        }

        return spans;
    }

    public Histogram Histogram()
    {
        var h = new Histogram
        {
            CounterResetHint = (CounterResetHint)Byte(),
            Schema = (int)Varint(),
            ZeroThreshold = Double(),
            ZeroCount = UVarint(),
            Count = UVarint(),
            Sum = Double(),
            PositiveSpans = Spans(),
            NegativeSpans = Spans(),
        };
        h.PositiveBuckets = Longs();
        h.NegativeBuckets = Longs();
        h.CustomValues = Doubles();
        return h;
    }

    public FloatHistogram FloatHistogram() => new()
    {
        CounterResetHint = (CounterResetHint)Byte(),
        Schema = (int)Varint(),
        ZeroThreshold = Double(),
        ZeroCount = Double(),
        Count = Double(),
        Sum = Double(),
        PositiveSpans = Spans(),
        NegativeSpans = Spans(),
        PositiveBuckets = Doubles(),
        NegativeBuckets = Doubles(),
        CustomValues = Doubles(),
    };

    private long[] Longs()
    {
        var r = new long[checked((int)UVarint())];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = Varint();
        }

        return r;
    }

    private double[] Doubles()
    {
        var r = new double[checked((int)UVarint())];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = Double();
        }

        return r;
    }

    private readonly void Need(int n)
    {
        if (n < 0 || _pos + n > _data.Length)
        {
            throw new InvalidDataException("record truncated");
        }
    }
}
