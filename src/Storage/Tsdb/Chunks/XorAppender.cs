namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>Appends float samples to a Gorilla XOR chunk, bit-compatible with Prometheus <c>chunkenc.XORChunk</c>.</summary>
internal sealed class XorAppender
{
    private readonly BitWriter _writer = new(64);
    private long _t;
    private long _tDelta;
    private double _v;
    private byte _leading = 0xFF;
    private byte _trailing;

    public XorAppender() => _writer.WriteBits(0, 16);

    /// <summary>Starts a new chunk in the same buffer (the head reuses one appender per series).</summary>
    public void Reset()
    {
        _writer.Reset();
        _writer.WriteBits(0, 16);
        Count = 0;
        _t = 0;
        _tDelta = 0;
        _v = 0;
        _leading = 0xFF;
        _trailing = 0;
    }

    public int Count { get; private set; }

    public long MinTime { get; private set; }

    public long MaxTime => _t;

    public int ByteLength => _writer.ByteLength;

    public void Append(long t, double v)
    {
        if (Count == 0)
        {
            _writer.WriteVarint(t);
            _writer.WriteBits(BitConverter.DoubleToUInt64Bits(v), 64);
            MinTime = t;
        }
        else if (Count == 1)
        {
            _tDelta = t - _t;
            _writer.WriteUVarint((ulong)_tDelta);
            _writer.WriteXor(v, _v, ref _leading, ref _trailing);
        }
        else
        {
            long tDelta = t - _t;
            long dod = tDelta - _tDelta;
            switch (dod)
            {
                case 0: _writer.WriteBit(false); break;
                case >= -8191 and <= 8192: _writer.WriteBits(0b10, 2); _writer.WriteBits((ulong)dod, 14); break;
                case >= -65535 and <= 65536: _writer.WriteBits(0b110, 3); _writer.WriteBits((ulong)dod, 17); break;
                case >= -524287 and <= 524288: _writer.WriteBits(0b1110, 4); _writer.WriteBits((ulong)dod, 20); break;
                default: _writer.WriteBits(0b1111, 4); _writer.WriteBits((ulong)dod, 64); break;
            }

            _tDelta = tDelta;
            _writer.WriteXor(v, _v, ref _leading, ref _trailing);
        }

        _t = t;
        _v = v;
        Count++;
        _writer.SetUInt16(0, (ushort)Count);
    }

    public ChunkData ToChunk() => new(ChunkEncoding.Xor, MinTime, _t, Count, _writer.ToArray());
}
