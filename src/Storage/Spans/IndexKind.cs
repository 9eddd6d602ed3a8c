namespace TraceLink.Storage.Spans;

/// <summary>
/// The first byte of every correlation-index key (DESIGN.md §4): <c>kind | value bytes</c>.
/// Values are persisted; never renumber.
/// </summary>
public enum IndexKind : byte
{
    /// <summary>16-byte trace id.</summary>
    TraceId = 1,
    /// <summary>8-byte span id.</summary>
    SpanId = 2,
    /// <summary>UTF-8 service.name.</summary>
    Service = 3,
    /// <summary>UTF-8 span name.</summary>
    SpanName = 4,
    /// <summary>One byte: OTLP status code.</summary>
    Status = 5,
    /// <summary>One byte: floor(log2(duration in µs)).</summary>
    DurationBucket = 6,
    /// <summary>8-byte big-endian minute since the Unix epoch of the span start.</summary>
    TimeBucket = 7,
    /// <summary>8-byte TCP sequence of the request.</summary>
    TcpReqSeq = 8,
    /// <summary>8-byte TCP sequence of the response.</summary>
    TcpRespSeq = 9,
    /// <summary>UTF-8 X-Request-ID value (request or response side).</summary>
    XRequestId = 10,
    /// <summary>8-byte syscall trace id (request or response side).</summary>
    SyscallTraceId = 11,
    /// <summary>4-byte pid + 4-byte tid.</summary>
    ThreadId = 12,
    /// <summary>4-byte pid + 8-byte pseudo-thread id.</summary>
    PseudoThreadId = 13,
    /// <summary>16-byte trace group id assigned by the ingest-time linker.</summary>
    TraceGroup = 14,
    /// <summary>UTF-8 span kind name (for TraceQL <c>kind</c>).</summary>
    Kind = 15,
}
