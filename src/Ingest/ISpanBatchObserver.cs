using TraceLink.Protocol.Spans;

namespace TraceLink.Ingest;

/// <summary>
/// Sees every span batch once it is durable in the span store; derives other signals from it
/// (span metrics, derived logs). Implementations are thread-safe: batches arrive concurrently.
/// </summary>
public interface ISpanBatchObserver
{
    /// <summary>
    /// Called after <paramref name="batch"/> was stored durably. The batch reads the request bytes in place: they are
    /// valid only until the returned task completes, so copy anything kept longer.
    /// </summary>
    ValueTask OnStoredAsync(OtlpSpanBatch batch, CancellationToken cancellationToken);
}
