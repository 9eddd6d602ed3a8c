using OpenTelemetry.Proto.Collector.Trace.V1;

namespace TraceLink.Ingest;

/// <summary>
/// Sees every span batch once it is durable in the span store; derives other signals from it
/// (span metrics, derived logs). Implementations are thread-safe: batches arrive concurrently.
/// </summary>
public interface ISpanBatchObserver
{
    /// <summary>Called after <paramref name="request"/> was stored durably; must not modify it.</summary>
    ValueTask OnStoredAsync(ExportTraceServiceRequest request, CancellationToken cancellationToken);
}
