using System.Buffers.Binary;
using System.Text;

namespace TraceLink.Storage.Tsdb.Wal;

/// <summary>Growable little-endian/varint buffer used for WAL payloads and block indexes.</summary>
internal sealed class RecordWriter
{
    private byte[] _buffer = new byte[4096];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    public void Reset() => Length = 0;

    public void Byte(byte b)
    {
        Ensure(1);
        _buffer[Length++] = b;
    }

    public void UVarint(ulong v)
    {
        Ensure(10);
        while (v >= 0x80)
        {
            _buffer[Length++] = (byte)(v | 0x80);
            v >>= 7;
        }

        _buffer[Length++] = (byte)v;
    }

    public void Varint(long v) => UVarint((ulong)((v << 1) ^ (v >> 63)));

    public void UInt64(ulong v)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(Length), v);
        Length += 8;
    }

    public void Double(double v) => UInt64(BitConverter.DoubleToUInt64Bits(v));

    public void String(string s)
    {
        int max = Encoding.UTF8.GetMaxByteCount(s.Length);
        Ensure(max + 5);
        int n = Encoding.UTF8.GetBytes(s, _buffer.AsSpan(Length + 5));
        // Write the length then slide the bytes into place: keeps one pass over the string.
        int start = Length;
        UVarint((ulong)n);
        _buffer.AsSpan(start + 5, n).CopyTo(_buffer.AsSpan(Length));
        Length += n;
    }

    public void Bytes(ReadOnlySpan<byte> data)
    {
        Ensure(data.Length);
        data.CopyTo(_buffer.AsSpan(Length));
        Length += data.Length;
    }

    public void Labels(IReadOnlyList<Label> labels)
    {
        UVarint((ulong)labels.Count);
        for (int i = 0; i < labels.Count; i++)
        {
            String(labels[i].Name);
            String(labels[i].Value);
        }
    }

    public void Spans(BucketSpan[] spans)
    {
        UVarint((ulong)spans.Length);
        foreach (var s in spans)
        {
            Varint(s.Offset);
            UVarint(s.Length);
        }
    }

    public void Histogram(Histogram h)
    {
        Byte((byte)h.CounterResetHint);
        Varint(h.Schema);
        Double(h.ZeroThreshold);
        UVarint(h.ZeroCount);
        UVarint(h.Count);
        Double(h.Sum);
        Spans(h.PositiveSpans);
        Spans(h.NegativeSpans);
        UVarint((ulong)h.PositiveBuckets.Length);
        foreach (var b in h.PositiveBuckets)
        {
            Varint(b);
        }

        UVarint((ulong)h.NegativeBuckets.Length);
        foreach (var b in h.NegativeBuckets)
        {
            Varint(b);
        }

        Doubles(h.CustomValues);
    }

    public void FloatHistogram(FloatHistogram h)
    {
        Byte((byte)h.CounterResetHint);
        Varint(h.Schema);
        Double(h.ZeroThreshold);
        Double(h.ZeroCount);
        Double(h.Count);
        Double(h.Sum);
        Spans(h.PositiveSpans);
        Spans(h.NegativeSpans);
        Doubles(h.PositiveBuckets);
        Doubles(h.NegativeBuckets);
        Doubles(h.CustomValues);
    }

    private void Doubles(double[] values)
    {
        UVarint((ulong)values.Length);
        foreach (var v in values)
        {
            Double(v);
        }
    }

    private void Ensure(int n)
    {
        if (Length + n > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(Length + n, _buffer.Length * 2));
        }
    }
}
