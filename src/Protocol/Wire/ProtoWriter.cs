using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace TraceLink.Protocol.Wire;

/// <summary>
/// Minimal protobuf wire writer into a growable buffer rented from <see cref="ArrayPool{T}.Shared"/>. A nested message
/// (or any length-delimited field whose length is not known up front) is written between <see cref="BeginField"/> and
/// <see cref="EndField"/>: five bytes are reserved for the length and the body is moved back over the unused ones.
/// </summary>
public sealed class ProtoWriter : IDisposable
{
    private const int ReservedLength = 5;
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a writer with at least <paramref name="capacity"/> bytes of room.</summary>
    public ProtoWriter(int capacity = 4096) => _buffer = ArrayPool<byte>.Shared.Rent(capacity);

    /// <summary>Bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>The encoded size of <paramref name="value"/> as a varint.</summary>
    public static int VarintSize(ulong value) => value < 1UL << 7 ? 1 : (BitOperations.Log2(value) / 7) + 1;

    /// <summary>
    /// Hands the buffer to the caller, who returns it to <see cref="ArrayPool{T}.Shared"/> when done; the writer starts
    /// again, empty, on a new buffer of the same size.
    /// </summary>
    public byte[] Detach(out int length)
    {
        var buffer = _buffer;
        length = _length;
        _buffer = ArrayPool<byte>.Shared.Rent(buffer.Length);
        _length = 0;
        return buffer;
    }

    /// <summary>Forgets what was written; keeps the buffer.</summary>
    public void Clear() => _length = 0;

    /// <summary>Writes a field tag.</summary>
    public void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    /// <summary>Writes a base-128 varint.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Varint(ulong value)
    {
        // one byte (tags, short lengths, small numbers) is most of them: inlined at the call site
        byte[] buffer = _buffer;
        int length = _length;
        if (value < 0x80 && (uint)length < (uint)buffer.Length)
        {
            buffer[length] = (byte)value;
            _length = length + 1;
            return;
        }

        MultiByteVarint(value);
    }

    private void MultiByteVarint(ulong value)
    {
        Ensure(10);
        var span = _buffer.AsSpan(_length);
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        _length += i;
    }

    /// <summary>Writes a varint field (int64, uint64, enum, bool).</summary>
    public void VarintField(int field, ulong value)
    {
        Tag(field, 0);
        Varint(value);
    }

    /// <summary>Writes a fixed64 field.</summary>
    public void Fixed64Field(int field, ulong value)
    {
        Tag(field, 1);
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    /// <summary>Writes a fixed32 field.</summary>
    public void Fixed32Field(int field, uint value)
    {
        Tag(field, 5);
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    /// <summary>Writes a bytes (or UTF-8 string) field.</summary>
    public void BytesField(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Varint((uint)value.Length);
        Raw(value);
    }

    /// <summary>Writes a string field, UTF-8 encoded.</summary>
    public void StringField(int field, ReadOnlySpan<char> value)
    {
        Tag(field, 2);
        int length = Encoding.UTF8.GetByteCount(value);
        Varint((uint)length);
        Ensure(length);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    /// <summary>Writes <paramref name="value"/> UTF-8 encoded, without tag or length (inside <see cref="BeginField"/>).</summary>
    public void Utf8(ReadOnlySpan<char> value)
    {
        Ensure(Encoding.UTF8.GetMaxByteCount(value.Length));
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    /// <summary>Copies already encoded bytes.</summary>
    public void Raw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Starts a length-delimited field whose body follows; returns the token for <see cref="EndField"/>.</summary>
    public int BeginField(int field)
    {
        Tag(field, 2);
        Ensure(ReservedLength);
        _length += ReservedLength;
        return _length;
    }

    /// <summary>Ends the field begun with <paramref name="bodyStart"/>: writes its length and closes the gap.</summary>
    public void EndField(int bodyStart)
    {
        int bodyLength = _length - bodyStart;
        int lengthStart = bodyStart - ReservedLength;
        int size = VarintSize((uint)bodyLength);
        if (size < ReservedLength)
        {
            _buffer.AsSpan(bodyStart, bodyLength).CopyTo(_buffer.AsSpan(lengthStart + size));
            _length -= ReservedLength - size;
        }

        uint value = (uint)bodyLength;
        int at = lengthStart;
        while (value >= 0x80)
        {
            _buffer[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[at] = (byte)value;
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _length = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int bytes)
    {
        if (_buffer.Length - _length < bytes)
        {
            Grow(bytes);
        }
    }

    private void Grow(int bytes)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
