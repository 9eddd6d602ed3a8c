using System.Buffers.Binary;
using System.Text;

namespace TraceLink.Storage.Assembly;

/// <summary>
/// The value encodings of correlation-index keys (<see cref="Spans.IndexKind"/>): integers are
/// big-endian (like <see cref="Spans.IndexKind.TimeBucket"/>), strings UTF-8. The span store and trace
/// assembly must encode identically, so both use these helpers.
/// </summary>
public static class CorrelationKeyEncoding
{
    /// <summary>Encodes a TCP sequence or syscall trace id (8 bytes, big-endian).</summary>
    public static byte[] Int64(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>Encodes <see cref="Spans.IndexKind.ThreadId"/>: 4-byte pid then 4-byte tid, big-endian.</summary>
    public static byte[] Thread(long pid, long tid)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(bytes, unchecked((int)pid));
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), unchecked((int)tid));
        return bytes;
    }

    /// <summary>Encodes <see cref="Spans.IndexKind.PseudoThreadId"/>: 4-byte pid then 8-byte id, big-endian.</summary>
    public static byte[] PseudoThread(long pid, long id)
    {
        var bytes = new byte[12];
        BinaryPrimitives.WriteInt32BigEndian(bytes, unchecked((int)pid));
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(4), id);
        return bytes;
    }

    /// <summary>Encodes an X-Request-ID value (UTF-8).</summary>
    public static byte[] Utf8(string value) => Encoding.UTF8.GetBytes(value);
}
