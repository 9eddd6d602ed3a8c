using BenchmarkDotNet.Attributes;

using TraceLink.Query.PromQL.Engine;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Benchmarks.PromQL;

/// <summary>
/// Range queries (5 h at a 60 s step, 300 steps) over 200 counters holding 6 h of samples every 15 s or every 5 s:
/// the second size reads three times as many samples for the same steps and output. With no per-sample allocation,
/// the Allocated column is the same for both sizes (it scales with series × steps, the result, only).
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class PromQLAllocationBenchmarks
{
    private const long Hour = 3600 * 1000L;
    private const long Start = Hour;
    private const long End = 6 * Hour;
    private const long Step = 60_000;
    private PromQLEngine _engine = null!;

    /// <summary>Scrape interval of the stored data in seconds (15: 1,440 samples per series; 5: 4,320).</summary>
    [Params(15, 5)]
    public int ScrapeSeconds { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(42);
        var series = new List<(Label[], long[], double[])>();
        var points = (int)(6 * Hour / (ScrapeSeconds * 1000L));
        for (var s = 0; s < 200; s++)
        {
            var t = new long[points];
            var v = new double[points];
            double c = 0;
            for (var i = 0; i < points; i++)
            {
                t[i] = i * ScrapeSeconds * 1000L;
                c += rnd.Next(0, 100);
                v[i] = c;
            }

            series.Add(([new("__name__", "http_requests_total"), new("instance", "i" + s), new("job", "job" + (s % 10))], t, v));
        }

        _engine = new PromQLEngine(new ArraySeriesStore(series));
    }

    [Benchmark]
    public int Rate() => _engine.Range("rate(http_requests_total[5m])", Start, End, Step).Series.Count;

    [Benchmark]
    public int SumByJobOfRate() => _engine.Range("sum by (job) (rate(http_requests_total[5m]))", Start, End, Step).Series.Count;

    [Benchmark]
    public int MaxOverTime() => _engine.Range("max_over_time(http_requests_total[30m])", Start, End, Step).Series.Count;
}
