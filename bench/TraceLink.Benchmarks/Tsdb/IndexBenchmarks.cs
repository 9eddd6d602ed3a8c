using BenchmarkDotNet.Attributes;
using TraceLink.Storage.Tsdb;
using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Benchmarks.Tsdb;

/// <summary>
/// Series selection over 10,000 series (postings lookup, regex union) and appending 1,000 float samples to
/// existing series; the baseline is the equality lookup.
/// </summary>
[MemoryDiagnoser]
public class IndexBenchmarks : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tsdb-bench-" + Guid.NewGuid().ToString("N"));
    private readonly Label[][] _labels = new Label[1000][];
    private TsdbStore _store = null!;
    private long _t = 1_700_000_000_000;
    private LabelMatcher[] _equal = [];
    private LabelMatcher[] _regex = [];

    [GlobalSetup]
    public void Setup()
    {
        _store = new TsdbStore(new TsdbOptions { DataDirectory = _dir, BlockDuration = TimeSpan.FromDays(365) });
        var app = _store.Appender();
        for (int s = 0; s < 10_000; s++)
        {
            Label[] l = [new("__name__", "m" + (s % 10)), new("instance", "i" + (s % 100)), new("job", "j" + (s % 7)), new("pod", "p" + s)];
            if (s < _labels.Length)
            {
                _labels[s] = l;
            }

            app.AppendFloat(l, _t, s);
        }

        app.CommitAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _equal = [new LabelMatcher(MatchType.Equal, "__name__", "m3"), new LabelMatcher(MatchType.Equal, "instance", "i13")];
        _regex = [new LabelMatcher(MatchType.Equal, "__name__", "m3"), new LabelMatcher(MatchType.Regex, "instance", "i1.*")];
    }

    [Benchmark(Baseline = true)]
    public int SelectEqual()
    {
        int n = 0;
        foreach (var _ in _store.Select(long.MinValue, long.MaxValue, _equal))
        {
            n++;
        }

        return n;
    }

    [Benchmark]
    public int SelectRegex()
    {
        int n = 0;
        foreach (var _ in _store.Select(long.MinValue, long.MaxValue, _regex))
        {
            n++;
        }

        return n;
    }

    [Benchmark(OperationsPerInvoke = 1000)]
    public void Append1000Floats()
    {
        _t += 15_000;
        var app = _store.Appender();
        for (int i = 0; i < _labels.Length; i++)
        {
            app.AppendFloat(_labels[i], _t, i);
        }

        app.CommitAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _store?.Dispose();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }

        GC.SuppressFinalize(this);
    }
}
