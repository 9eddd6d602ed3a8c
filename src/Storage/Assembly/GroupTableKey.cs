using System.Buffers.Binary;

namespace TraceLink.Storage.Assembly;

/// <summary>
/// A trace-group table key held as a value (no byte array per lookup); <see cref="WriteTo"/> produces the
/// byte layout of docs/format/trace-groups.md: <c>'K' kind hash128</c>, <c>'S' locator</c>, <c>'G' group</c>,
/// <c>'M' group chunk</c>.
/// </summary>
internal readonly record struct GroupTableKey(byte Tag, byte Kind, UInt128 Body, int Chunk)
{
    public const int MaxLength = 18;

    public static GroupTableKey Span(long locator) => new((byte)'S', 0, (ulong)locator, 0);

    public static GroupTableKey Group(long group) => new((byte)'G', 0, (ulong)group, 0);

    public static GroupTableKey Members(long group, long chunk) => new((byte)'M', 0, (ulong)group, (int)chunk);

    public static GroupTableKey Link(byte kind, UInt128 materialHash) => new((byte)'K', kind, materialHash, 0);

    public int WriteTo(Span<byte> destination)
    {
        destination[0] = Tag;
        switch (Tag)
        {
            case (byte)'K':
                destination[1] = Kind;
                BinaryPrimitives.WriteUInt128BigEndian(destination[2..], Body);
                return 18;
            case (byte)'M':
                BinaryPrimitives.WriteInt64BigEndian(destination[1..], (long)(ulong)Body);
                BinaryPrimitives.WriteInt32BigEndian(destination[9..], Chunk);
                return 13;
            default:
                BinaryPrimitives.WriteInt64BigEndian(destination[1..], (long)(ulong)Body);
                return 9;
        }
    }
}
