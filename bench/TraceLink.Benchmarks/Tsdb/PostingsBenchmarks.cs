using BenchmarkDotNet.Attributes;

using Microsoft.Extensions.Logging.Abstractions;

using TraceLink.Storage.Tsdb;
using TraceLink.Storage.Tsdb.Index;

namespace TraceLink.Benchmarks.Tsdb;

/// <summary>
/// Reading one posting list for a label=value over 10,000 series: the FASTER index (<see cref="TsdbIndex"/>) against
/// the in-memory name → value → list dictionaries the head used before (baseline), for a short list
/// (instance, 100 ids) and a long one (job, ~1,430 ids).
/// </summary>
[MemoryDiagnoser]
public class PostingsBenchmarks : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tsdb-postings-bench-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, Dictionary<string, List<int>>> _memory = new(StringComparer.Ordinal);
    private readonly List<int> _list = [];
    private TsdbIndex _index = null!;

    [GlobalSetup]
    public void Setup()
    {
        _index = new TsdbIndex(_dir, new TsdbOptions(), NullLogger.Instance);
        for (int s = 0; s < 10_000; s++)
        {
            Label[] l = [new("__name__", "m" + (s % 10)), new("instance", "i" + (s % 100)), new("job", "j" + (s % 7)), new("pod", "p" + s)];
            int id = _index.ReserveId();
            _index.AddSeries(id, SeriesKey.Encode(l), l);
            foreach (var label in l)
            {
                if (!_memory.TryGetValue(label.Name, out var values))
                {
                    values = new Dictionary<string, List<int>>(StringComparer.Ordinal);
                    _memory[label.Name] = values;
                }

                if (!values.TryGetValue(label.Value, out var list))
                {
                    list = [];
                    values[label.Value] = list;
                }

                list.Add(id);
            }
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _index.Dispose();
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public int InMemoryShortList() => _memory["instance"]["i13"].Count;

    [Benchmark]
    public int FasterShortList()
    {
        _list.Clear();
        _index.Read("instance", "i13", _list);
        return _list.Count;
    }

    [Benchmark]
    public int InMemoryLongList() => _memory["job"]["j3"].Count;

    [Benchmark]
    public int FasterLongList()
    {
        _list.Clear();
        _index.Read("job", "j3", _list);
        return _list.Count;
    }
}
