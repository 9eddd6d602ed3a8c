namespace TraceLink.Storage.Logs;

/// <summary>A log line read back: its stream, time (ns), trace and span ids as lower-case hex (empty when unknown) and text.</summary>
public sealed record LogEntry(LogStreamInfo Stream, long TimestampNs, string TraceId, string SpanId, string Line);
