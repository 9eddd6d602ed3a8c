using System.Diagnostics.Metrics;

using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Storage.Spans;

namespace TraceLink.Ingest.Otlp;

/// <summary>
/// The one path every span takes into storage, whether it came over OTLP/HTTP or from the in-process
/// sensor: durable append, then the self-metrics.
/// </summary>
public sealed class TraceIngestor
{
    /// <summary>Name of the meter carrying the ingest self-metrics.</summary>
    public const string MeterName = "TraceLink.Ingest";

    private readonly ISpanStore _store;
    private readonly Counter<long> _spans;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _rejected;

    /// <summary>Creates the ingestor over a store; instruments come from <paramref name="meterFactory"/>.</summary>
    public TraceIngestor(ISpanStore store, IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _store = store;
        var meter = meterFactory.Create(MeterName);
        _spans = meter.CreateCounter<long>("tracelink.ingest.spans", "{span}", "Spans stored durably.");
        _bytes = meter.CreateCounter<long>("tracelink.ingest.bytes", "By", "Request body bytes of accepted span batches.");
        _rejected = meter.CreateCounter<long>("tracelink.ingest.rejected_requests", "{request}", "Span batches rejected as malformed.");
    }

    /// <summary>Stores the batch; completes once it is durable. Returns the number of spans stored.</summary>
    public async ValueTask<int> IngestAsync(ExportTraceServiceRequest request, int encodedBytes, CancellationToken cancellationToken)
    {
        var stored = await _store.AppendAsync(request, cancellationToken);
        _spans.Add(stored);
        _bytes.Add(encodedBytes);
        return stored;
    }

    /// <summary>Counts a batch rejected before storage.</summary>
    public void CountRejected() => _rejected.Add(1);
}
