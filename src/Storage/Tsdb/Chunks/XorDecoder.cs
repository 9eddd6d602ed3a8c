using System.Runtime.CompilerServices;

namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>
/// Decodes a Gorilla XOR chunk one sample at a time, in place over its bytes (Prometheus <c>xorIterator</c>).
/// A mutable struct so a series iterator can reset one decoder per chunk without allocating.
/// </summary>
internal struct XorDecoder
{
    private BitReader _reader;
    private int _count;
    private int _read;
    private long _tDelta;
    private byte _leading;
    private byte _trailing;

    /// <summary>Timestamp of the current sample.</summary>
    public long T;

    /// <summary>Value of the current sample.</summary>
    public double V;

    /// <summary>Starts decoding the chunk at <paramref name="offset"/> (its 2-byte sample count first).</summary>
    public void Reset(byte[] data, int offset, int length)
    {
        if (length < 2)
        {
            throw new InvalidDataException("corrupt chunk: read past end");
        }

        _count = (data[offset] << 8) | data[offset + 1];
        _reader = new BitReader(data, offset + 2, length - 2);
        _read = 0;
        _tDelta = 0;
        _leading = 0xFF;
        _trailing = 0;
        T = 0;
        V = 0;
    }

    /// <summary>Advances to the next sample; false when the chunk is exhausted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Next()
    {
        if (_read >= _count)
        {
            return false;
        }

        if (_read >= 2)
        {
            long dod = _reader.ReadOnes(4) switch
            {
                0 => 0,
                1 => ReadSigned(ref _reader, 14),
                2 => ReadSigned(ref _reader, 17),
                3 => ReadSigned(ref _reader, 20),
                _ => (long)_reader.ReadBits(64),
            };
            _tDelta += dod;
            T += _tDelta;
            V = _reader.ReadXor(V, ref _leading, ref _trailing);
        }
        else if (_read == 0)
        {
            T = _reader.ReadVarint();
            V = BitConverter.UInt64BitsToDouble(_reader.ReadBits(64));
        }
        else
        {
            _tDelta = (long)_reader.ReadUVarint();
            T += _tDelta;
            V = _reader.ReadXor(V, ref _leading, ref _trailing);
        }

        _read++;
        return true;
    }

    private static long ReadSigned(ref BitReader reader, int size)
    {
        ulong bits = reader.ReadBits(size);
        if (bits > (1UL << (size - 1)))
        {
            bits -= 1UL << size;
        }

        return (long)bits;
    }
}
