
using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Assembly;

/// <summary>
/// The value encodings of correlation-index keys (<see cref="Spans.IndexKind"/>): integers are
/// big-endian (like <see cref="Spans.IndexKind.TimeBucket"/>), strings UTF-8. The span store and trace
/// assembly must encode identically, so both use these helpers.
/// </summary>
public static class CorrelationKeyEncoding
{
    /// <summary>Encodes a TCP sequence or syscall trace id (8 bytes, big-endian).</summary>
    public static byte[] Int64(long value) => SpanIndexValues.Int64(value);

    /// <summary>Encodes <see cref="Spans.IndexKind.ThreadId"/>: 4-byte pid then 4-byte tid, big-endian.</summary>
    public static byte[] Thread(long pid, long tid) => SpanIndexValues.ThreadId(unchecked((int)pid), unchecked((int)tid));

    /// <summary>Encodes <see cref="Spans.IndexKind.PseudoThreadId"/>: 4-byte pid then 8-byte id, big-endian.</summary>
    public static byte[] PseudoThread(long pid, long id) => SpanIndexValues.PseudoThreadId(unchecked((int)pid), id);

    /// <summary>Encodes an X-Request-ID value (UTF-8).</summary>
    public static byte[] Utf8(string value) => SpanIndexValues.Utf8(value);
}
