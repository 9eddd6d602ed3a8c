namespace TraceLink.Storage.Logs;

/// <summary>
/// One log line to append: stream (from <see cref="LogStore.GetOrAddStream"/>), time in ns since the epoch,
/// 16-byte trace id and 8-byte span id (empty when unknown) kept as structured metadata, and the line.
/// </summary>
public readonly record struct LogRecord(LogStreamInfo Stream, long TimestampNs, ReadOnlyMemory<byte> TraceId, ReadOnlyMemory<byte> SpanId, string Line);
