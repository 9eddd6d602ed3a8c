using System.Buffers.Binary;

namespace TraceLink.Storage.Spans;

/// <summary>
/// The span-log record format (docs/format/spanlog.md): a fixed little-endian header with a version byte and a
/// CRC-32C, followed by a protobuf payload. A span record points at the resource record it was ingested under.
/// </summary>
internal static class SpanLogRecord
{
    public const byte Version = 1;
    public const byte TypeResource = 1;
    public const byte TypeSpan = 2;
    public const int CommonHeaderSize = 12;
    public const int SpanHeaderSize = 28;
    public const int CrcOffset = 8;
    public const int ResourceLocatorOffset = 12;
    public const int StartTimeOffset = 20;

    /// <summary>Protobuf tag of <c>ScopeSpans.spans</c> (field 2, length-delimited).</summary>
    public const byte ScopeSpansSpanTag = 0x12;

    public static int HeaderSize(byte type) => type == TypeSpan ? SpanHeaderSize : CommonHeaderSize;

    /// <summary>CRC state after the payload; the header is folded in by <see cref="Seal"/>, so payloads can be hashed outside the writer lock.</summary>
    public static uint PayloadCrcState(ReadOnlySpan<byte> record, byte type) => Crc32C.Append(uint.MaxValue, record[HeaderSize(type)..]);

    /// <summary>Completes the CRC: payload, then bytes [12, header end), then bytes [0, 8).</summary>
    public static void Seal(Span<byte> record, byte type, uint payloadCrcState)
    {
        int header = HeaderSize(type);
        uint state = Crc32C.Append(payloadCrcState, record[ResourceLocatorOffset..header]);
        state = Crc32C.Append(state, record[..CrcOffset]);
        BinaryPrimitives.WriteUInt32LittleEndian(record[CrcOffset..], ~state);
    }

    public static void WriteHeader(Span<byte> record, byte type, int payloadLength)
    {
        record[0] = Version;
        record[1] = type;
        BinaryPrimitives.WriteUInt16LittleEndian(record[2..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(record[4..], payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record[CrcOffset..], 0);
    }

    /// <summary>True when <paramref name="record"/> (one whole log entry) is a well-formed record of this version with a matching checksum.</summary>
    public static bool IsValid(ReadOnlySpan<byte> record, out byte type)
    {
        type = 0;
        if (record.Length < CommonHeaderSize || record[0] != Version)
        {
            return false;
        }

        type = record[1];
        if (type is not (TypeResource or TypeSpan))
        {
            return false;
        }

        int header = HeaderSize(type);
        int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(record[4..]);
        if (payloadLength < 0 || record.Length != header + payloadLength)
        {
            return false;
        }

        uint state = Crc32C.Append(uint.MaxValue, record[header..]);
        state = Crc32C.Append(state, record[ResourceLocatorOffset..header]);
        state = Crc32C.Append(state, record[..CrcOffset]);
        return ~state == BinaryPrimitives.ReadUInt32LittleEndian(record[CrcOffset..]);
    }

    public static long ResourceLocator(ReadOnlySpan<byte> spanRecord) => BinaryPrimitives.ReadInt64LittleEndian(spanRecord[ResourceLocatorOffset..]);

    public static long StartTime(ReadOnlySpan<byte> spanRecord) => BinaryPrimitives.ReadInt64LittleEndian(spanRecord[StartTimeOffset..]);

    public static ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> record, byte type) => record[HeaderSize(type)..];
}
