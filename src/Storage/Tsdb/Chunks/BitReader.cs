namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>Most-significant-bit-first reader over a chunk's bytes (Prometheus <c>bstreamReader</c>).</summary>
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

    public ulong ReadBits(int count)
    {
        if (_position + count > _end)
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

    public byte ReadByte() => (byte)ReadBits(8);

    public long ReadVarbitInt()
    {
        int prefix = 0;
        for (int i = 0; i < 8; i++)
        {
            prefix <<= 1;
            if (!ReadBit())
            {
                break;
            }

            prefix |= 1;
        }

        int size;
        switch (prefix)
        {
            case 0b0: return 0;
            case 0b10: size = 3; break;
            case 0b110: size = 6; break;
            case 0b1110: size = 9; break;
            case 0b11110: size = 12; break;
            case 0b111110: size = 18; break;
            case 0b1111110: size = 25; break;
            case 0b11111110: size = 56; break;
            case 0b11111111: return (long)ReadBits(64);
            default: ThrowCorrupt(); return 0;
        }

        ulong bits = ReadBits(size);
        if (bits > (1UL << (size - 1)))
        {
            bits -= 1UL << size;
        }

        return (long)bits;
    }

    public ulong ReadVarbitUInt()
    {
        int prefix = 0;
        for (int i = 0; i < 8; i++)
        {
            prefix <<= 1;
            if (!ReadBit())
            {
                break;
            }

            prefix |= 1;
        }

        return prefix switch
        {
            0b0 => 0,
            0b10 => ReadBits(3),
            0b110 => ReadBits(6),
            0b1110 => ReadBits(9),
            0b11110 => ReadBits(12),
            0b111110 => ReadBits(18),
            0b1111110 => ReadBits(25),
            0b11111110 => ReadBits(56),
            0b11111111 => ReadBits(64),
            _ => ThrowCorruptValue(),
        };
    }

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

    public double ReadXor(double previous, ref byte leading, ref byte trailing)
    {
        if (!ReadBit())
        {
            return previous;
        }

        int newLeading;
        int newTrailing;
        int mbits;
        if (!ReadBit())
        {
            newLeading = leading;
            newTrailing = trailing;
            mbits = 64 - newLeading - newTrailing;
        }
        else
        {
            newLeading = (int)ReadBits(5);
            mbits = (int)ReadBits(6);
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

    private static void ThrowCorrupt() => throw new InvalidDataException("corrupt chunk: read past end");

    private static ulong ThrowCorruptValue() => throw new InvalidDataException("corrupt chunk: invalid bit pattern");
}
