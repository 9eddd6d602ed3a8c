namespace TraceLink.Storage.Spans;

/// <summary>Traces exactly as stored: spans grouped by the trace id they arrived with, no assembly.</summary>
public sealed class StoreTraceReader(ISpanStore store) : ITraceReader
{
    /// <inheritdoc />
    public IReadOnlyList<StoredSpan> GetTrace(ReadOnlySpan<byte> traceId) => store.GetTrace(traceId);

    /// <inheritdoc />
    public ReadOnlyMemory<byte> TraceIdOf(StoredSpan span)
    {
        ArgumentNullException.ThrowIfNull(span);
        return span.Span.TraceId.Memory;
    }
}
