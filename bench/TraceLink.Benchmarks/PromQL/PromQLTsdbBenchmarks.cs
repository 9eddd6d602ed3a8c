using System.Buffers;
using System.Text.Json;

using BenchmarkDotNet.Attributes;

using TraceLink.Ingest.RemoteWrite;
using TraceLink.Query.PromQL.Api;
using TraceLink.Query.PromQL.Engine;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Benchmarks.PromQL;

/// <summary>
/// A few queries of <c>promql-vs-prometheus</c> in process, without HTTP, over a real <see cref="TsdbStore"/> holding
/// the same generated data (10,000 series at 15 s; 6 h, so part of it is cut into blocks): the store read path plus
/// the engine, for profiling what the side-by-side run reports.
/// </summary>
[MemoryDiagnoser]
public class PromQLTsdbBenchmarks : IDisposable
{
    private const int Hours = 6;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "promql-tsdb-bench-" + Guid.NewGuid().ToString("N"));
    private TsdbStore _store = null!;
    private PromQLEngine _engine = null!;
    private long _end;
    private readonly ArrayBufferWriter<byte> _json = new(1 << 20);

    [GlobalSetup]
    public void Setup()
    {
        _store = new TsdbStore(new TsdbOptions { DataDirectory = _dir, RetentionTime = TimeSpan.Zero });
        var steps = Hours * 240;
        _end = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / BenchData.StepMs * BenchData.StepMs) - 60_000;
        using var data = new BenchData(_end - ((steps - 1) * BenchData.StepMs), steps);
        var decoder = new RemoteWriteDecoder();
        for (var from = 0; from < steps; from += 8)
        {
            var appender = (ISeriesKeyAppender)_store.Appender();
            decoder.DecodeV1(data.Request(from, Math.Min(from + 8, steps)), appender);
            appender.CommitAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        _engine = new PromQLEngine(_store);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public int Selector() => _engine.Instant("bench_temperature{job=\"j3\"}", _end).Series.Count;

    [Benchmark]
    public int SelectorRange() => _engine.Range("bench_temperature{job=\"j3\", instance=~\"i1.*\"}", _end - 3_600_000, _end, 15_000).Series.Count;

    /// <summary><see cref="SelectorRange"/> plus the API's JSON of its matrix (what the HTTP handler adds).</summary>
    [Benchmark]
    public long SelectorRangeJson()
    {
        var result = _engine.Range("bench_temperature{job=\"j3\", instance=~\"i1.*\"}", _end - 3_600_000, _end, 15_000);
        _json.ResetWrittenCount(); // reused, as the server's response pipe reuses its segments
        using (var writer = new Utf8JsonWriter(_json))
        {
            ApiJson.WriteResult(writer, result);
        }

        return _json.WrittenCount;
    }

    [Benchmark]
    public int Rate6kSeries() => _engine.Instant("rate(bench_requests_total[5m])", _end).Series.Count;

    [Benchmark]
    public int SumByRateRange() => _engine.Range("sum by (job) (rate(bench_requests_total[5m]))", _end - (Hours * 3_600_000L) + 600_000, _end, 300_000).Series.Count;

    [Benchmark]
    public int ClassicQuantileRange() => _engine.Range("histogram_quantile(0.9, sum by (job, le) (rate(bench_latency_seconds_bucket[5m])))", _end - (Hours * 3_600_000L) + 600_000, _end, 300_000).Series.Count;

    [Benchmark]
    public int AvgOverTimeRange() => _engine.Range("avg(avg_over_time(bench_temperature[1h]))", _end - (Hours * 3_600_000L) + 3_600_000, _end, 3_600_000).Series.Count;

    [Benchmark]
    public int Increase() => _engine.Instant("sum by (code) (increase(bench_requests_total[" + Hours + "h]))", _end).Series.Count;
}
