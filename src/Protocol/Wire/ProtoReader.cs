using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace TraceLink.Protocol.Wire;

/// <summary>
/// Minimal allocation-free protobuf wire reader over one contiguous span. Malformed input throws
/// <see cref="InvalidDataException"/> (once per bad message, never in a loop over good input).
/// </summary>
public ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    /// <summary>Reads <paramref name="data"/> from <paramref name="offset"/> to its end.</summary>
    public ProtoReader(ReadOnlySpan<byte> data, int offset = 0)
    {
        _data = data;
        _pos = offset;
    }

    /// <summary>True when every byte was read.</summary>
    public readonly bool End => _pos >= _data.Length;

    /// <summary>Offset of the next byte to read, relative to the span given to the constructor.</summary>
    public readonly int Position => _pos;

    /// <summary>Reads a tag; returns the field number and sets <paramref name="wireType"/>.</summary>
    public int Tag(out int wireType)
    {
        ulong tag = Varint();
        wireType = (int)(tag & 7);
        int field = (int)(tag >> 3);
        if (field == 0)
        {
            Fail("field number 0");
        }

        return field;
    }

    /// <summary>Reads a base-128 varint.</summary>
    public ulong Varint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_pos >= _data.Length)
            {
                Fail("truncated varint");
            }

            byte b = _data[_pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        Fail("varint too long");
        return 0;
    }

    /// <summary>Reads a little-endian fixed64 field value.</summary>
    public ulong Fixed64()
    {
        if (_data.Length - _pos < 8)
        {
            Fail("truncated fixed64");
        }

        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(_data[_pos..]);
        _pos += 8;
        return v;
    }

    /// <summary>Reads a double (fixed64) field value.</summary>
    public double Double() => BitConverter.UInt64BitsToDouble(Fixed64());

    /// <summary>Reads a length-delimited field; returns its offset in the whole span and sets <paramref name="length"/>.</summary>
    public int LengthDelimited(out int length)
    {
        ulong n = Varint();
        if (n > (ulong)(_data.Length - _pos))
        {
            Fail("truncated length-delimited field");
        }

        int start = _pos;
        length = (int)n;
        _pos += length;
        return start;
    }

    /// <summary>Reads a length-delimited field and returns its bytes.</summary>
    public ReadOnlySpan<byte> Bytes()
    {
        int start = LengthDelimited(out int length);
        return _data.Slice(start, length);
    }

    /// <summary>Skips one field value of <paramref name="wireType"/>.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: Varint(); break;
            case 1: Advance(8); break;
            case 2: LengthDelimited(out _); break;
            case 5: Advance(4); break;
            default: Fail("unsupported wire type " + wireType); break;
        }
    }

    /// <summary>Requires <paramref name="wireType"/> to be <paramref name="expected"/>.</summary>
    public static void Expect(int wireType, int expected)
    {
        if (wireType != expected)
        {
            Fail("unexpected wire type " + wireType);
        }
    }

    /// <summary>Throws the reader's <see cref="InvalidDataException"/> ("invalid protobuf: reason").</summary>
    [DoesNotReturn]
    public static void Fail(string reason) => throw new InvalidDataException("invalid protobuf: " + reason);

    private void Advance(int n)
    {
        if (_data.Length - _pos < n)
        {
            Fail("truncated fixed field");
        }

        _pos += n;
    }
}
