using System.Diagnostics.Metrics;

using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Storage.Spans;

namespace TraceLink.Ingest.Otlp;

/// <summary>
/// The one path every span takes into storage, whether it came over OTLP/HTTP or from the in-process
/// sensor: durable append, then the observers that derive metrics and logs, then the self-metrics.
/// </summary>
public sealed class TraceIngestor
{
    /// <summary>Name of the meter carrying the ingest self-metrics.</summary>
    public const string MeterName = "TraceLink.Ingest";

    private readonly ISpanStore _store;
    private readonly Counter<long> _spans;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _observerFailures;
    private readonly ISpanBatchObserver[] _observers;

    /// <summary>Creates the ingestor over a store; instruments come from <paramref name="meterFactory"/>.</summary>
    public TraceIngestor(ISpanStore store, IMeterFactory meterFactory)
        : this(store, meterFactory, [])
    {
    }

    /// <summary>
    /// Creates the ingestor over a store with observers (span metrics, derived logs) that see each batch
    /// after it is durable, in the given order.
    /// </summary>
    public TraceIngestor(ISpanStore store, IMeterFactory meterFactory, IEnumerable<ISpanBatchObserver> observers)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(observers);
        _store = store;
        _observers = [.. observers];
        var meter = meterFactory.Create(MeterName);
        _spans = meter.CreateCounter<long>("tracelink.ingest.spans", "{span}", "Spans stored durably.");
        _bytes = meter.CreateCounter<long>("tracelink.ingest.bytes", "By", "Request body bytes of accepted span batches.");
        _rejected = meter.CreateCounter<long>("tracelink.ingest.rejected_requests", "{request}", "Span batches rejected as malformed.");
        _observerFailures = meter.CreateCounter<long>("tracelink.ingest.observer_failures", "{batch}", "Stored span batches an observer (span metrics, derived logs) failed to process.");
    }

    /// <summary>
    /// Stores an encoded OTLP/protobuf export request from an in-process producer (the sensor) through the wire path;
    /// completes once it is durable. Throws <see cref="InvalidDataException"/> for malformed protobuf or a bad span id.
    /// </summary>
    public async ValueTask<int> IngestAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        using var batch = OtlpSpanBatch.TryRead(body, out string? error) ?? throw new InvalidDataException(error);
        return await IngestAsync(batch, body.Length, cancellationToken);
    }

    /// <summary>
    /// Stores the batch; completes once it is durable and the observers have seen it (the batch's bytes may be
    /// reused afterwards). Returns the number of spans stored.
    /// </summary>
    public async ValueTask<int> IngestAsync(OtlpSpanBatch batch, int encodedBytes, CancellationToken cancellationToken)
    {
        var stored = await _store.AppendAsync(batch, cancellationToken);
        foreach (var observer in _observers)
        {
            try
            {
                await observer.OnStoredAsync(batch, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The spans are durable already: a failed derivation must not turn the ack into an error
                // that makes the client resend (and duplicate) the batch.
                _observerFailures.Add(1);
            }
        }

        _spans.Add(stored);
        _bytes.Add(encodedBytes);
        return stored;
    }

    /// <summary>Counts a batch rejected before storage.</summary>
    public void CountRejected() => _rejected.Add(1);
}
