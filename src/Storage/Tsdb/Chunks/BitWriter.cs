using System.Buffers.Binary;

namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>Most-significant-bit-first bit stream writer (Prometheus <c>bstream</c>).</summary>
internal sealed class BitWriter
{
    private byte[] _buffer;
    private int _bitLength;

    public BitWriter(int capacity = 128) => _buffer = new byte[capacity];

    public int BitLength => _bitLength;

    public int ByteLength => (_bitLength + 7) >> 3;

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, ByteLength);

    public byte[] ToArray() => Bytes.ToArray();

    /// <summary>Empties the stream and keeps its buffer, so a reused writer does not grow again.</summary>
    public void Reset()
    {
        _buffer.AsSpan(0, ByteLength).Clear();
        _bitLength = 0;
    }

    /// <summary>Overwrites the big-endian u16 at <paramref name="offset"/> (chunk sample count).</summary>
    public void SetUInt16(int offset, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(offset), value);

    public void SetByte(int offset, byte value) => _buffer[offset] = value;

    public void WriteBit(bool bit)
    {
        EnsureBits(1);
        if (bit)
        {
            _buffer[_bitLength >> 3] |= (byte)(0x80 >> (_bitLength & 7));
        }

        _bitLength++;
    }

    public void WriteByte(byte value) => WriteBits(value, 8);

    /// <summary>Writes the low <paramref name="count"/> bits of <paramref name="value"/>, most significant first.</summary>
    public void WriteBits(ulong value, int count)
    {
        if (count == 0)
        {
            return;
        }

        EnsureBits(count);
        if (count < 64)
        {
            value &= (1UL << count) - 1;
        }

        while (count > 0)
        {
            int free = 8 - (_bitLength & 7);
            int take = Math.Min(free, count);
            ulong part = (value >> (count - take)) & ((1UL << take) - 1);
            _buffer[_bitLength >> 3] |= (byte)(part << (free - take));
            _bitLength += take;
            count -= take;
        }
    }

    public void WriteVarbitInt(long value)
    {
        switch (value)
        {
            case 0: WriteBit(false); break;
            case >= -3 and <= 4: WriteBits(0b10, 2); WriteBits((ulong)value, 3); break;
            case >= -31 and <= 32: WriteBits(0b110, 3); WriteBits((ulong)value, 6); break;
            case >= -255 and <= 256: WriteBits(0b1110, 4); WriteBits((ulong)value, 9); break;
            case >= -2047 and <= 2048: WriteBits(0b11110, 5); WriteBits((ulong)value, 12); break;
            case >= -131071 and <= 131072: WriteBits(0b111110, 6); WriteBits((ulong)value, 18); break;
            case >= -16777215 and <= 16777216: WriteBits(0b1111110, 7); WriteBits((ulong)value, 25); break;
            case >= -36028797018963967 and <= 36028797018963968: WriteBits(0b11111110, 8); WriteBits((ulong)value, 56); break;
            default: WriteBits(0b11111111, 8); WriteBits((ulong)value, 64); break;
        }
    }

    public void WriteVarbitUInt(ulong value)
    {
        switch (value)
        {
            case 0: WriteBit(false); break;
            case <= 7: WriteBits(0b10, 2); WriteBits(value, 3); break;
            case <= 63: WriteBits(0b110, 3); WriteBits(value, 6); break;
            case <= 511: WriteBits(0b1110, 4); WriteBits(value, 9); break;
            case <= 4095: WriteBits(0b11110, 5); WriteBits(value, 12); break;
            case <= 262143: WriteBits(0b111110, 6); WriteBits(value, 18); break;
            case <= 33554431: WriteBits(0b1111110, 7); WriteBits(value, 25); break;
            case <= 72057594037927935: WriteBits(0b11111110, 8); WriteBits(value, 56); break;
            default: WriteBits(0b11111111, 8); WriteBits(value, 64); break;
        }
    }

    /// <summary>Go <c>binary.PutVarint</c> (zigzag LEB128), byte by byte through the bit stream.</summary>
    public void WriteVarint(long value) => WriteUVarint((ulong)((value << 1) ^ (value >> 63)));

    public void WriteUVarint(ulong value)
    {
        while (value >= 0x80)
        {
            WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        WriteByte((byte)value);
    }

    /// <summary>Gorilla XOR value encoding with a caller-held leading/trailing window (0xFF leading = unset).</summary>
    public void WriteXor(double newValue, double previous, ref byte leading, ref byte trailing)
    {
        ulong delta = BitConverter.DoubleToUInt64Bits(newValue) ^ BitConverter.DoubleToUInt64Bits(previous);
        if (delta == 0)
        {
            WriteBit(false);
            return;
        }

        WriteBit(true);
        byte newLeading = (byte)ulong.LeadingZeroCount(delta);
        byte newTrailing = (byte)ulong.TrailingZeroCount(delta);
        if (newLeading >= 32)
        {
            newLeading = 31;
        }

        if (leading != 0xFF && newLeading >= leading && newTrailing >= trailing)
        {
            WriteBit(false);
            WriteBits(delta >> trailing, 64 - leading - trailing);
            return;
        }

        leading = newLeading;
        trailing = newTrailing;
        WriteBit(true);
        WriteBits(newLeading, 5);
        int sigbits = 64 - newLeading - newTrailing;
        WriteBits((ulong)sigbits, 6);
        WriteBits(delta >> newTrailing, sigbits);
    }

    private void EnsureBits(int count)
    {
        int needed = (_bitLength + count + 7) >> 3;
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        }
    }
}
