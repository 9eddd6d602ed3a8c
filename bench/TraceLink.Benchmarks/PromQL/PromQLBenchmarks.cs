using BenchmarkDotNet.Attributes;

using TraceLink.Query.PromQL.Engine;
using TraceLink.Storage.Tsdb;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Benchmarks.PromQL;

/// <summary>
/// Range queries (1 h at a 15 s step) over 1,000 counter series with 6 h of 15 s samples. The baseline reads every
/// selected sample once through the same store, so each ratio says how much the query costs beyond reading its data.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class PromQLBenchmarks
{
    private const long Start = 6 * 3600 * 1000L - 3600 * 1000L;
    private const long End = 6 * 3600 * 1000L;
    private const long Step = 15_000;
    private ArraySeriesStore _store = null!;
    private PromQLEngine _engine = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(42);
        var series = new List<(Label[], long[], double[])>();
        const int points = 6 * 3600 / 15;
        for (var s = 0; s < 1000; s++)
        {
            var t = new long[points];
            var v = new double[points];
            double c = 0;
            for (var i = 0; i < points; i++)
            {
                t[i] = i * 15_000L;
                c += rnd.Next(0, 100);
                v[i] = c;
            }

            series.Add(([new("__name__", "http_requests_total"), new("instance", "i" + s), new("job", "job" + (s % 10))], t, v));
        }

        _store = new ArraySeriesStore(series);
        _engine = new PromQLEngine(_store);
    }

    [Benchmark(Baseline = true)]
    public double ScanSelectedSamples()
    {
        double sum = 0;
        foreach (var s in _store.Select(Start - 300_000, End, [new LabelMatcher(MatchType.Equal, "__name__", "http_requests_total")]))
        {
            var it = s.Iterator();
            for (var ty = it.Seek(Start - 300_000); ty != SampleValueType.None && it.AtTimestamp <= End; ty = it.Next())
            {
                sum += it.AtFloat;
            }
        }

        return sum;
    }

    [Benchmark]
    public int Selector() => _engine.Range("http_requests_total", Start, End, Step).Series.Count;

    [Benchmark]
    public int Rate() => _engine.Range("rate(http_requests_total[5m])", Start, End, Step).Series.Count;

    [Benchmark]
    public int SumByJobOfRate() => _engine.Range("sum by (job) (rate(http_requests_total[5m]))", Start, End, Step).Series.Count;

    [Benchmark]
    public int BinaryVectorVector() => _engine.Range("http_requests_total / on(instance, job) http_requests_total", Start, End, Step).Series.Count;

    [Benchmark]
    public int TopkOfRate() => _engine.Instant("topk(5, rate(http_requests_total[5m]))", End).Series.Count;
}
