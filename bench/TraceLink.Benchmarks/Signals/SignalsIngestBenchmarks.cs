using System.Diagnostics.Metrics;

using BenchmarkDotNet.Attributes;

using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Ingest;
using TraceLink.Ingest.DerivedLogs;
using TraceLink.Ingest.Otlp;
using TraceLink.Ingest.SpanMetrics;
using TraceLink.Protocol.Spans;
using TraceLink.Storage.Logs;
using TraceLink.Storage.Spans;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Benchmarks.Signals;

/// <summary>
/// OTLP ingest (protobuf decode + span-store append) of 100 requests × 100 spans, with the span-metrics
/// connector and derived logs off (baseline) and on. The span store here only serializes the spans into
/// memory, so the ratio overstates the cost relative to a durable store. Run with <c>--job short --inProcess</c>
/// (a separate build of the benchmark project can exceed BenchmarkDotNet's build timeout on a busy machine).
/// </summary>
[MemoryDiagnoser]
public class SignalsIngestBenchmarks : IDisposable
{
    private readonly List<byte[]> _bodies = [];
    private readonly BenchMeterFactory _meters = new();
    private string _directory = string.Empty;
    private LogStore? _logStore;
    private TraceIngestor _plain = null!;
    private TraceIngestor _metricsOnly = null!;
    private TraceIngestor _logsOnly = null!;
    private TraceIngestor _both = null!;

    /// <summary>Builds the requests and the four ingestors.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        string[] routes = ["/cart", "/cart/{id}", "/checkout", "/item/{id}", "/search", "/user/{id}", "/health", "/login"];
        for (var r = 0; r < 100; r++)
        {
            var scope = new ScopeSpans();
            for (var i = 0; i < 100; i++)
            {
                var traceId = new byte[16];
                random.NextBytes(traceId);
                var route = routes[random.Next(routes.Length)];
                var error = random.Next(20) == 0;
                var start = 1_700_000_000_000_000_000UL + (ulong)((r * 100) + i) * 1_000_000;
                scope.Spans.Add(new Span
                {
                    TraceId = ByteString.CopyFrom(traceId),
                    SpanId = ByteString.CopyFrom(BitConverter.GetBytes(random.NextInt64())),
                    Name = "GET " + route,
                    Kind = Span.Types.SpanKind.Server,
                    StartTimeUnixNano = start,
                    EndTimeUnixNano = start + (ulong)random.NextInt64(100_000, 800_000_000),
                    Status = new Status { Code = error ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Unset },
                    Attributes =
                    {
                        new KeyValue { Key = "http.request.method", Value = new AnyValue { StringValue = "GET" } },
                        new KeyValue { Key = "http.route", Value = new AnyValue { StringValue = route } },
                        new KeyValue { Key = "http.response.status_code", Value = new AnyValue { IntValue = error ? 500 : 200 } },
                    },
                });
            }

            var resourceSpans = new ResourceSpans { Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "svc" + (r % 4) } } } } };
            resourceSpans.ScopeSpans.Add(scope);
            _bodies.Add(new ExportTraceServiceRequest { ResourceSpans = { resourceSpans } }.ToByteArray());
        }

        _directory = Path.Combine(Path.GetTempPath(), "tracelink-bench-" + Guid.NewGuid().ToString("N"));
        _logStore = LogStore.Open(new LogStoreOptions { Directory = _directory });
        var store = new SerializingSpanStore();
        var connector = new SpanMetricsConnector(new NullSeriesStore(), new SpanMetricsOptions(), _meters);
        var logs = new DerivedLogWriter(_logStore, new DerivedLogOptions(), _meters);
        _plain = new TraceIngestor(store, _meters);
        _metricsOnly = new TraceIngestor(store, _meters, [connector]);
        _logsOnly = new TraceIngestor(store, _meters, [logs]);
        _both = new TraceIngestor(store, _meters, [connector, logs]);
    }

    /// <summary>Removes the log directory.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        _logStore?.Dispose();
        _meters.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Decode and store only.</summary>
    [Benchmark(Baseline = true)]
    public Task<int> IngestOnly() => RunAsync(_plain);

    /// <summary>Plus the span-metrics connector.</summary>
    [Benchmark]
    public Task<int> IngestWithSpanMetrics() => RunAsync(_metricsOnly);

    /// <summary>Plus derived logs (written to disk, sampled).</summary>
    [Benchmark]
    public Task<int> IngestWithDerivedLogs() => RunAsync(_logsOnly);

    /// <summary>Plus both.</summary>
    [Benchmark]
    public Task<int> IngestWithSpanMetricsAndLogs() => RunAsync(_both);

    private async Task<int> RunAsync(TraceIngestor ingestor)
    {
        var total = 0;
        foreach (var body in _bodies)
        {
            var batch = OtlpTraceDecoder.DecodeProtobuf(body, out _)!;
            total += await ingestor.IngestAsync(batch, body.Length, CancellationToken.None);
        }

        return total;
    }

    private sealed class SerializingSpanStore : ISpanStore
    {
        private readonly byte[] _buffer = new byte[1 << 20];

        /// <summary>Copies each span's bytes, as the real store's record encoder does.</summary>
        public ValueTask<int> AppendAsync(OtlpSpanBatch batch, CancellationToken cancellationToken)
        {
            foreach (var span in batch.Spans)
            {
                batch.SpanBytes(span).CopyTo(_buffer);
            }

            return ValueTask.FromResult(batch.Spans.Length);
        }

        public ValueTask<int> AppendAsync(ExportTraceServiceRequest request, CancellationToken cancellationToken)
        {
            var count = 0;
            foreach (var resourceSpans in request.ResourceSpans)
            {
                foreach (var scopeSpans in resourceSpans.ScopeSpans)
                {
                    foreach (var span in scopeSpans.Spans)
                    {
                        span.WriteTo(_buffer.AsSpan(0, span.CalculateSize()));
                        count++;
                    }
                }
            }

            return ValueTask.FromResult(count);
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

    private sealed class NullSeriesStore : ISeriesStore
    {
        public IEnumerable<ISeries> Select(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers) => [];

        public IReadOnlyList<string> LabelNames(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers) => [];

        public IReadOnlyList<string> LabelValues(string name, long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers) => [];

        public ISampleAppender Appender() => throw new NotSupportedException("the benchmark never flushes");

        public IReadOnlyList<(IReadOnlyList<Label> Series, IReadOnlyList<Exemplar> Exemplars)> Exemplars(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers) => [];
    }

    private sealed class BenchMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
