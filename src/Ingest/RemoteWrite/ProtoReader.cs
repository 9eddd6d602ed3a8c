using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

using Microsoft.AspNetCore.Http;

namespace TraceLink.Ingest.RemoteWrite;

/// <summary>Minimal protobuf wire reader over one contiguous span; malformed input is a 400 rejection.</summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public ProtoReader(ReadOnlySpan<byte> data, int offset = 0)
    {
        _data = data;
        _pos = offset;
    }

    public readonly bool End => _pos >= _data.Length;

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

    public double Double()
    {
        if (_data.Length - _pos < 8)
        {
            Fail("truncated fixed64");
        }

        double v = BinaryPrimitives.ReadDoubleLittleEndian(_data[_pos..]);
        _pos += 8;
        return v;
    }

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

    [DoesNotReturn]
    public static void Fail(string reason) =>
        throw new RemoteWriteRejection(StatusCodes.Status400BadRequest, "invalid protobuf: " + reason);

    private void Advance(int n)
    {
        if (_data.Length - _pos < n)
        {
            Fail("truncated fixed field");
        }

        _pos += n;
    }
}
