using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Ingest.Otlp;
using TraceLink.Ingest.Tests.Support;
using TraceLink.Protocol.Spans;
using TraceLink.Storage.Spans;

namespace TraceLink.Ingest.Tests.Otlp;

public sealed class TraceIngestorObserverTests
{
    [Fact]
    public async Task Observers_see_each_batch_after_it_is_stored_and_a_failing_observer_does_not_fail_the_ingest()
    {
        var events = new List<string>();
        var store = new CountingSpanStore(events);
        using var meters = new TestMeterFactory();
        var ingestor = new TraceIngestor(store, meters, [new ThrowingObserver(events), new RecordingObserver(events)]);
        var request = SpanBuilder.Request("svc", SpanBuilder.Create(new byte[16], 1, "a", 1, 1), SpanBuilder.Create(new byte[16], 2, "b", 1, 1));

        var stored = await ingestor.IngestAsync(request.ToByteArray(), default);

        Assert.Equal(2, stored);
        Assert.Equal(["append", "throwing", "recording"], events);
        Assert.Equal(1, meters.Total("tracelink.ingest.observer_failures"));
    }

    private sealed class RecordingObserver(List<string> events) : ISpanBatchObserver
    {
        public ValueTask OnStoredAsync(OtlpSpanBatch batch, CancellationToken cancellationToken)
        {
            events.Add("recording");
            return ValueTask.CompletedTask;
        }
    }

    private sealed class ThrowingObserver(List<string> events) : ISpanBatchObserver
    {
        public ValueTask OnStoredAsync(OtlpSpanBatch batch, CancellationToken cancellationToken)
        {
            events.Add("throwing");
            throw new InvalidOperationException("derivation failed");
        }
    }

    private sealed class CountingSpanStore(List<string> events) : ISpanStore
    {
        public ValueTask<int> AppendAsync(ExportTraceServiceRequest request, CancellationToken cancellationToken)
        {
            events.Add("append");
            return ValueTask.FromResult(request.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => s.Spans.Count)));
        }

        public IReadOnlyList<StoredSpan> GetTrace(ReadOnlySpan<byte> traceId) => [];

        public void Lookup(IndexKind kind, ReadOnlySpan<byte> value, long fromUnixNano, long toUnixNano, List<long> locators)
        {
        }

        public StoredSpan? Read(long locator) => null;

        public IEnumerable<StoredSpan> ScanNewestFirst(long fromUnixNano, long toUnixNano) => [];

        public IReadOnlyDictionary<string, IReadOnlyCollection<string>> TagNames() => new Dictionary<string, IReadOnlyCollection<string>>();

        public IReadOnlyCollection<string> TagValues(string scope, string name) => [];

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
