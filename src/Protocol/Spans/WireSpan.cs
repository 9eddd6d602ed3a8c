namespace TraceLink.Protocol.Spans;

/// <summary>
/// Where one span lies in an <see cref="OtlpSpanBatch"/> body, with the scalar fields the pipeline keys on. Ranges
/// index <see cref="OtlpSpanBatch.Body"/>; an absent bytes or string field is an empty range.
/// </summary>
public struct WireSpan
{
    /// <summary>
    /// Reads the key fields of one encoded <c>Span</c> (ranges then index <paramref name="message"/>), without validating
    /// nested attributes; for spans already validated on ingest. Malformed input throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static WireSpan Read(ReadOnlySpan<byte> message) => OtlpSpanBatch.ReadSpan(message, 0, message.Length, validate: false);

    /// <summary>The whole encoded <c>Span</c> message.</summary>
    public Range Message { get; internal set; }

    /// <summary>Index into <see cref="OtlpSpanBatch.Resources"/>.</summary>
    public int Resource { get; internal set; }

    /// <summary>Index into <see cref="OtlpSpanBatch.Scopes"/>.</summary>
    public int ScopeIndex { get; internal set; }

    /// <summary><c>trace_id</c> (16 bytes or empty).</summary>
    public Range TraceId { get; internal set; }

    /// <summary><c>span_id</c> (8 bytes or empty).</summary>
    public Range SpanId { get; internal set; }

    /// <summary><c>parent_span_id</c> (8 bytes or empty).</summary>
    public Range ParentSpanId { get; internal set; }

    /// <summary><c>name</c>, UTF-8.</summary>
    public Range Name { get; internal set; }

    /// <summary><c>kind</c> as its OTLP enum number.</summary>
    public int Kind { get; internal set; }

    /// <summary><c>start_time_unix_nano</c>.</summary>
    public ulong StartTimeUnixNano { get; internal set; }

    /// <summary><c>end_time_unix_nano</c>.</summary>
    public ulong EndTimeUnixNano { get; internal set; }

    /// <summary><c>status.code</c> as its OTLP enum number (0 = unset).</summary>
    public int StatusCode { get; internal set; }

    /// <summary><c>status.message</c>, UTF-8.</summary>
    public Range StatusMessage { get; internal set; }

    /// <summary>Number of span events.</summary>
    public int EventCount { get; internal set; }
}
