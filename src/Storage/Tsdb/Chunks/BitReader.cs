using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>
/// Most-significant-bit-first reader over a chunk's bytes (Prometheus <c>bstreamReader</c>). Reads up to 56 bits
/// with one unaligned big-endian word load when 8 bytes remain in the array, and falls back to byte steps at the
/// end; every read is checked against the chunk's end so corrupt data throws instead of decoding garbage.
/// </summary>
internal struct BitReader
{
    private readonly byte[] _data;
    private readonly int _end;
    private int _position;

    public BitReader(byte[] data, int offsetBytes, int lengthBytes)
    {
        _data = data;
        _position = offsetBytes * 8;
        _end = (offsetBytes + lengthBytes) * 8;
    }

    public bool ReadBit()
    {
        if (_position >= _end)
        {
            ThrowCorrupt();
        }

        bool bit = (_data[_position >> 3] & (0x80 >> (_position & 7))) != 0;
        _position++;
        return bit;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadBits(int count)
    {
        if (_position + count > _end)
        {
            ThrowCorrupt();
        }

        if ((uint)count <= 56 && (_position >> 3) + 8 <= _data.Length)
        {
            if (count == 0)
            {
                return 0;
            }

            ulong word = BinaryPrimitives.ReadUInt64BigEndian(_data.AsSpan(_position >> 3)) << (_position & 7);
            _position += count;
            return word >> (64 - count);
        }

        return ReadBitsSlow(count);
    }

    public byte ReadByte() => (byte)ReadBits(8);

    /// <summary>
    /// Counts leading one bits, at most <paramref name="max"/> (≤ 8), and consumes them plus the terminating zero
    /// when there is one: the prefix codes of XOR timestamps, varbit integers and XOR value control bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadOnes(int max)
    {
        if ((_position >> 3) + 8 <= _data.Length)
        {
            ulong word = BinaryPrimitives.ReadUInt64BigEndian(_data.AsSpan(_position >> 3)) << (_position & 7);
            int ones = Math.Min(BitOperations.LeadingZeroCount(~word), max);
            int used = ones < max ? ones + 1 : ones;
            if (_position + used > _end)
            {
                ThrowCorrupt();
            }

            _position += used;
            return ones;
        }

        int n = 0;
        while (n < max && ReadBit())
        {
            n++;
        }

        return n;
    }

    public long ReadVarbitInt()
    {
        int size;
        switch (ReadOnes(8))
        {
            case 0: return 0;
            case 1: size = 3; break;
            case 2: size = 6; break;
            case 3: size = 9; break;
            case 4: size = 12; break;
            case 5: size = 18; break;
            case 6: size = 25; break;
            case 7: size = 56; break;
            default: return (long)ReadBits(64);
        }

        ulong bits = ReadBits(size);
        if (bits > (1UL << (size - 1)))
        {
            bits -= 1UL << size;
        }

        return (long)bits;
    }

    public ulong ReadVarbitUInt() => ReadOnes(8) switch
    {
        0 => 0,
        1 => ReadBits(3),
        2 => ReadBits(6),
        3 => ReadBits(9),
        4 => ReadBits(12),
        5 => ReadBits(18),
        6 => ReadBits(25),
        7 => ReadBits(56),
        _ => ReadBits(64),
    };

    public long ReadVarint()
    {
        ulong u = ReadUVarint();
        return (long)(u >> 1) ^ -(long)(u & 1);
    }

    public ulong ReadUVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        return ThrowCorruptValue();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ReadXor(double previous, ref byte leading, ref byte trailing)
    {
        // Control bits: 0 = same value; 10 = reuse the previous leading/trailing window; 11 = new window.
        int control = ReadOnes(2);
        if (control == 0)
        {
            return previous;
        }

        int newTrailing;
        int mbits;
        if (control == 1)
        {
            newTrailing = trailing;
            mbits = 64 - leading - newTrailing;
        }
        else
        {
            ulong header = ReadBits(11);
            int newLeading = (int)(header >> 6);
            mbits = (int)(header & 0x3F);
            if (mbits == 0)
            {
                mbits = 64;
            }

            newTrailing = 64 - newLeading - mbits;
            leading = (byte)newLeading;
            trailing = (byte)newTrailing;
        }

        ulong bits = ReadBits(mbits);
        ulong v = BitConverter.DoubleToUInt64Bits(previous) ^ (bits << newTrailing);
        return BitConverter.UInt64BitsToDouble(v);
    }

    private ulong ReadBitsSlow(int count)
    {
        if ((uint)count > 64)
        {
            ThrowCorrupt();
        }

        ulong value = 0;
        while (count > 0)
        {
            int avail = 8 - (_position & 7);
            int take = Math.Min(avail, count);
            int b = _data[_position >> 3];
            ulong part = (ulong)((b >> (avail - take)) & ((1 << take) - 1));
            value = (value << take) | part;
            _position += take;
            count -= take;
        }

        return value;
    }

    private static void ThrowCorrupt() => throw new InvalidDataException("corrupt chunk: read past end");

    private static ulong ThrowCorruptValue() => throw new InvalidDataException("corrupt chunk: invalid bit pattern");
}
