using System.Buffers.Binary;
using System.IO.Hashing;

namespace TraceLink.Storage.Spans;

/// <summary>
/// Builds base keys of the correlation index: <c>kind | value</c> for trace id, span id and time bucket, and
/// <c>kind | minute (u32 BE) | value</c> for every other kind, so their lists are split by start minute.
/// Values longer than <see cref="MaxValueBytes"/> are cut to a prefix plus a 64-bit hash of the whole value.
/// </summary>
internal static class IndexKeys
{
    public const int MaxValueBytes = 128;
    public const int MaxKeyBytes = 1 + 4 + MaxValueBytes;
    private const int HashedPrefix = MaxValueBytes - 8;

    public static bool IsBucketed(IndexKind kind) =>
        kind is not (IndexKind.TraceId or IndexKind.SpanId or IndexKind.TimeBucket or IndexKind.TraceGroup);

    /// <summary>Writes the base key into <paramref name="destination"/> (at least <see cref="MaxKeyBytes"/>) and returns its length.</summary>
    public static int Build(Span<byte> destination, IndexKind kind, long minute, ReadOnlySpan<byte> value)
    {
        destination[0] = (byte)kind;
        int at = 1;
        if (IsBucketed(kind))
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)Math.Clamp(minute, 0, uint.MaxValue));
            at = 5;
        }

        if (value.Length <= MaxValueBytes)
        {
            value.CopyTo(destination[at..]);
            return at + value.Length;
        }

        value[..HashedPrefix].CopyTo(destination[at..]);
        BinaryPrimitives.WriteUInt64BigEndian(destination[(at + HashedPrefix)..], XxHash3.HashToUInt64(value));
        return at + MaxValueBytes;
    }
}
