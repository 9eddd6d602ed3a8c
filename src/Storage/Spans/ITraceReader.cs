namespace TraceLink.Storage.Spans;

/// <summary>
/// Serves whole traces to the query layer: the spans sharing a trace id, or, with trace assembly, every span
/// joined to it by correlation keys, with parents set. Lets the Tempo API stay unaware of how traces are built.
/// </summary>
public interface ITraceReader
{
    /// <summary>The spans of a 16-byte (real or synthetic) trace id, sorted by start; empty when unknown.</summary>
    IReadOnlyList<StoredSpan> GetTrace(ReadOnlySpan<byte> traceId);

    /// <summary>The 16-byte trace id a span is served under (a synthetic one for spans that carry none).</summary>
    ReadOnlyMemory<byte> TraceIdOf(StoredSpan span);
}
