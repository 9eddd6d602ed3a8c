using BenchmarkDotNet.Attributes;

using TraceLink.Storage.Tsdb;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Benchmarks.Tsdb;

/// <summary>
/// The store's read path per sample, as the PromQL engine and remote-read use it: <see cref="ISeriesStore.Select"/>
/// of 200 counters (15 s, 24 h: 1,152,000 samples), then Seek + Next + AtFloat over every sample. <c>Blocks</c> reads
/// twelve 2 h blocks cut to disk, <c>Head</c> the same data in the in-memory head. One op is one sample, so the table
/// shows ns/sample and bytes/sample.
/// </summary>
[MemoryDiagnoser]
public class ScanBenchmarks : IDisposable
{
    private const int SeriesCount = 200;
    private const int Steps = 24 * 240;
    private const long StepMs = 15_000;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tsdb-scan-bench-" + Guid.NewGuid().ToString("N"));
    private readonly LabelMatcher[] _matchers = [new LabelMatcher(MatchType.Equal, "__name__", "scan_requests_total")];
    private TsdbStore _store = null!;
    private long _start;
    private long _end;

    /// <summary>Where the samples live: <c>Blocks</c> (on disk) or <c>Head</c> (memory).</summary>
    [Params("Blocks", "Head")]
    public string Source { get; set; } = "Blocks";

    [GlobalSetup]
    public void Setup()
    {
        _store = new TsdbStore(new TsdbOptions { DataDirectory = _dir, BlockDuration = TimeSpan.FromDays(365), RetentionTime = TimeSpan.Zero });
        _end = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / StepMs * StepMs) - 60_000;
        _start = _end - ((Steps - 1) * StepMs);
        var labels = new Label[SeriesCount][];
        for (var s = 0; s < SeriesCount; s++)
        {
            labels[s] = [new("__name__", "scan_requests_total"), new("instance", "i" + s), new("job", "j" + (s % 10))];
        }

        var rnd = new Random(42);
        var values = new double[SeriesCount];
        for (var from = 0; from < Steps; from += 240)
        {
            var app = _store.Appender();
            for (var i = from; i < from + 240; i++)
            {
                for (var s = 0; s < SeriesCount; s++)
                {
                    values[s] += rnd.Next(0, 10);
                    app.AppendFloat(labels[s], _start + (i * StepMs), values[s]);
                }
            }

            app.CommitAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (Source == "Blocks" && (from + 240) % 480 == 0)
            {
                _store.CompactHead();
            }
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    [Benchmark(OperationsPerInvoke = SeriesCount * Steps)]
    public double SelectAndIterate()
    {
        double sum = 0;
        foreach (var series in _store.Select(_start, _end, _matchers))
        {
            var it = series.Iterator();
            for (var type = it.Seek(_start); type != SampleValueType.None && it.AtTimestamp <= _end; type = it.Next())
            {
                sum += it.AtFloat;
            }
        }

        return sum;
    }
}
