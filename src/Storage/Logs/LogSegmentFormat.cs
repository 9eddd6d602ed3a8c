using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace TraceLink.Storage.Logs;

/// <summary>Byte layout of log segment files (docs/format/logs.md): header, then length+CRC framed records.</summary>
internal static class LogSegmentFormat
{
    public const int HeaderSize = 16;
    public const int FrameSize = 8;
    public const byte Version = 1;
    public const byte StreamRecord = 1;
    public const byte EntryRecord = 2;
    public const int MaxPayload = 16 << 20;
    public const int EntryFixedSize = 1 + 4 + 8 + 16 + 8 + 4;

    public static ReadOnlySpan<byte> Magic => "TLLOGSEG"u8;

    public static void WriteHeader(Span<byte> header)
    {
        header.Clear();
        Magic.CopyTo(header);
        header[8] = Version;
    }

    public static bool IsValidHeader(ReadOnlySpan<byte> header)
        => header.Length >= HeaderSize && header[..8].SequenceEqual(Magic) && header[8] == Version;

    /// <summary>Frames one payload already written at <c>frame[FrameSize..]</c>: length then CRC-32 of the payload.</summary>
    public static void WriteFrame(Span<byte> frame, int payloadLength)
    {
        var payload = frame.Slice(FrameSize, payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], Crc32.HashToUInt32(payload));
    }

    public static int EntryPayloadSize(string line) => EntryFixedSize + Encoding.UTF8.GetByteCount(line);

    public static int WriteEntry(Span<byte> payload, int streamId, long timestampNs, ReadOnlySpan<byte> traceId, ReadOnlySpan<byte> spanId, string line)
    {
        payload[0] = EntryRecord;
        BinaryPrimitives.WriteInt32LittleEndian(payload[1..], streamId);
        BinaryPrimitives.WriteInt64LittleEndian(payload[5..], timestampNs);
        var ids = payload.Slice(13, 24);
        ids.Clear();
        traceId[..Math.Min(16, traceId.Length)].CopyTo(ids);
        spanId[..Math.Min(8, spanId.Length)].CopyTo(ids[16..]);
        var length = Encoding.UTF8.GetBytes(line, payload[EntryFixedSize..]);
        BinaryPrimitives.WriteInt32LittleEndian(payload[37..], length);
        return EntryFixedSize + length;
    }

    public static int StreamPayloadSize(IReadOnlyList<Tsdb.Label> labels)
    {
        var size = 1 + 4 + 2;
        foreach (var label in labels)
        {
            size += 4 + Encoding.UTF8.GetByteCount(label.Name) + Encoding.UTF8.GetByteCount(label.Value);
        }

        return size;
    }

    public static int WriteStream(Span<byte> payload, int streamId, IReadOnlyList<Tsdb.Label> labels)
    {
        payload[0] = StreamRecord;
        BinaryPrimitives.WriteInt32LittleEndian(payload[1..], streamId);
        BinaryPrimitives.WriteUInt16LittleEndian(payload[5..], (ushort)labels.Count);
        var position = 7;
        foreach (var label in labels)
        {
            position += WriteString(payload[position..], label.Name);
            position += WriteString(payload[position..], label.Value);
        }

        return position;
    }

    public static Tsdb.Label[] ReadStreamLabels(ReadOnlySpan<byte> payload, out int streamId)
    {
        streamId = BinaryPrimitives.ReadInt32LittleEndian(payload[1..]);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(payload[5..]);
        var labels = new Tsdb.Label[count];
        var position = 7;
        for (var i = 0; i < count; i++)
        {
            var name = ReadString(payload, ref position);
            var value = ReadString(payload, ref position);
            labels[i] = new Tsdb.Label(name, value);
        }

        return labels;
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, destination[2..]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)length);
        return 2 + length;
    }

    private static string ReadString(ReadOnlySpan<byte> payload, ref int position)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(payload[position..]);
        var value = Encoding.UTF8.GetString(payload.Slice(position + 2, length));
        position += 2 + length;
        return value;
    }
}
