using System.Buffers.Binary;
using System.Text;

using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Storage.Spans;

/// <summary>
/// Encodes lookup values the way <see cref="FasterSpanStore"/> indexes them (see <see cref="IndexKind"/>), for
/// callers of <see cref="ISpanStore.Lookup"/>. Integers are big-endian.
/// </summary>
public static class SpanIndexValues
{
    /// <summary>Nanoseconds per time bucket (one minute).</summary>
    public const long NanosPerMinute = 60_000_000_000;

    /// <summary>UTF-8 bytes of a string value (service, span name, X-Request-ID).</summary>
    public static byte[] Utf8(string value) => Encoding.UTF8.GetBytes(value);

    /// <summary>8-byte big-endian value (TCP sequence, syscall trace id).</summary>
    public static byte[] Int64(long value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>The <see cref="IndexKind.TimeBucket"/> value of a start time: minute since the epoch, 8 bytes big-endian.</summary>
    public static byte[] TimeBucket(long unixNano) => Int64(Minute(unixNano));

    /// <summary>The <see cref="IndexKind.Status"/> value: one byte holding the OTLP status code.</summary>
    public static byte[] Status(Status.Types.StatusCode code) => [(byte)code];

    /// <summary>The <see cref="IndexKind.DurationBucket"/> value: one byte, floor(log2(duration in µs)), 0 below 2 µs.</summary>
    public static byte[] DurationBucket(long durationNanos) => [DurationBucketOf(durationNanos)];

    /// <summary>The <see cref="IndexKind.Kind"/> value: lower-case TraceQL kind name (<c>server</c>, <c>client</c>, ...).</summary>
    public static byte[] Kind(Span.Types.SpanKind kind) => Encoding.UTF8.GetBytes(KindName(kind));

    /// <summary>The <see cref="IndexKind.ThreadId"/> value: 4-byte pid then 4-byte tid.</summary>
    public static byte[] ThreadId(int pid, int tid)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(bytes, pid);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), tid);
        return bytes;
    }

    /// <summary>The <see cref="IndexKind.PseudoThreadId"/> value: 4-byte pid then 8-byte pseudo-thread id.</summary>
    public static byte[] PseudoThreadId(int pid, long id)
    {
        byte[] bytes = new byte[12];
        BinaryPrimitives.WriteInt32BigEndian(bytes, pid);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(4), id);
        return bytes;
    }

    /// <summary>TraceQL name of an OTLP span kind.</summary>
    public static string KindName(Span.Types.SpanKind kind) => kind switch
    {
        Span.Types.SpanKind.Internal => "internal",
        Span.Types.SpanKind.Server => "server",
        Span.Types.SpanKind.Client => "client",
        Span.Types.SpanKind.Producer => "producer",
        Span.Types.SpanKind.Consumer => "consumer",
        _ => "unspecified",
    };

    internal static long Minute(long unixNano) => unixNano <= 0 ? 0 : unixNano / NanosPerMinute;

    internal static byte DurationBucketOf(long durationNanos)
    {
        long micros = durationNanos / 1000;
        return micros <= 1 ? (byte)0 : (byte)System.Numerics.BitOperations.Log2((ulong)micros);
    }
}
