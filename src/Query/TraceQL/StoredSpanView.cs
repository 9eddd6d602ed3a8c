using TraceLink.Storage.Spans;

namespace TraceLink.Query.TraceQL;

/// <summary>A span being evaluated, with the trace it belongs to (for trace-level intrinsics).</summary>
internal readonly record struct StoredSpanView(StoredSpan Stored, TraceView Trace);
