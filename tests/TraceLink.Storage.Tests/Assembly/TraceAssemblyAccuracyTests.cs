using System.Diagnostics;

using TraceLink.Storage.Assembly;
using TraceLink.Storage.Spans;
using TraceLink.Storage.Tests.Assembly.Scenarios;

using Xunit.Abstractions;

namespace TraceLink.Storage.Tests.Assembly;

public sealed class TraceAssemblyAccuracyTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tracelink-assembly-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Query_time_search_and_ingest_time_linker_meet_parent_edge_targets_at_1000_concurrent_traces()
    {
        var (search, groups) = await ScoreAsync(new ScenarioOptions { Traces = 1000 });
        Assert.True(search.Precision >= 0.995 && search.Recall >= 0.98, "search: " + search);
        Assert.True(groups.Precision >= 0.995 && groups.Recall >= 0.98, "linker: " + groups);
    }

    [Fact]
    public async Task Event_loop_app_without_request_ids_costs_recall_but_not_precision()
    {
        // Three times the event-loop traffic: its interleaved syscall ids point at other requests.
        var (search, groups) = await ScoreAsync(new ScenarioOptions { Traces = 1000, Seed = 11, EventLoopAppCallRate = 0.3 });
        Assert.True(search.Precision >= 0.995 && search.Recall >= 0.95, "search: " + search);
        Assert.True(groups.Precision >= 0.995 && groups.Recall >= 0.95, "linker: " + groups);
    }

    [Fact]
    public async Task Without_event_loop_apps_every_edge_is_found_despite_skew_seq_collisions_and_thread_reuse()
    {
        var (search, groups) = await ScoreAsync(new ScenarioOptions { Traces = 300, Seed = 3, EventLoopAppCallRate = 0, SeqCollisionRate = 0.2, ThreadPoolSize = 4 });
        Assert.Equal(search.TrueEdges, search.CorrectEdges);
        Assert.Equal(groups.TrueEdges, groups.CorrectEdges);
        Assert.Equal(search.PredictedEdges, search.CorrectEdges);
    }

    [Fact]
    public async Task On_the_real_FASTER_store_search_and_linker_meet_parent_edge_targets_at_1000_concurrent_traces()
    {
        var scenario = ScenarioGenerator.Generate(new ScenarioOptions { Traces = 1000 });
        using var fixture = new Spans.StoreFixture();
        using var linker = new TraceGroupLinker(SmallLinker(Path.Combine(fixture.Directory, "groups")));
        await using var store = fixture.Open(o =>
        {
            o.Observers.Add(linker);
            o.Retention = TimeSpan.FromDays(3650);
            o.IndexMemorySize = 1L << 26;
            o.LogMemorySize = 1L << 24;
        });
        foreach (var batch in scenario.Batches)
        {
            await store.AppendAsync(batch, CancellationToken.None);
        }

        var (search, groups) = Score(scenario, store, linker);
        Assert.True(search.Precision >= 0.995 && search.Recall >= 0.98, "search: " + search);
        Assert.True(groups.Precision >= 0.995 && groups.Recall >= 0.98, "linker: " + groups);
    }

    private (EdgeScore Search, EdgeScore Groups) Score(Scenario scenario, FasterSpanStore store, TraceGroupLinker linker)
    {
        var locatorOfGid = new Dictionary<int, long>();
        foreach (var span in store.ScanNewestFirst(1_700_000_000_000_000_000, 1_800_000_000_000_000_000))
        {
            locatorOfGid[EdgeScore.Gid(span.Span)] = span.Locator;
        }

        var assembler = new TraceAssembler(store, linker: linker);
        var search = new EdgeScore(scenario);
        var groups = new EdgeScore(scenario);
        foreach (var trace in scenario.Traces)
        {
            var id = trace.TraceId ?? SyntheticIds.TraceIdFor(locatorOfGid[trace.RootGid]);
            search.Add(trace, assembler.Search(id));
            groups.Add(trace, assembler.FromTraceGroup(id));
        }

        output.WriteLine($"real store, {scenario.Traces.Count} traces, {scenario.SpanCount} spans: query-time search {search}; ingest-time linker {groups}");
        return (search, groups);
    }

    private async Task<(EdgeScore Search, EdgeScore Groups)> ScoreAsync(ScenarioOptions options)
    {
        var scenario = ScenarioGenerator.Generate(options);
        var plain = new InMemorySpanStore();
        var clock = Stopwatch.StartNew();
        foreach (var batch in scenario.Batches)
        {
            await plain.AppendAsync(batch, CancellationToken.None);
        }

        var plainIngest = clock.Elapsed;
        using var linker = new TraceGroupLinker(SmallLinker(_directory));
        var store = new InMemorySpanStore(linker);
        clock.Restart();
        foreach (var batch in scenario.Batches)
        {
            await store.AppendAsync(batch, CancellationToken.None);
        }

        var linkedIngest = clock.Elapsed;

        var locatorOfGid = new Dictionary<int, long>();
        foreach (var span in store.ScanNewestFirst(long.MinValue, long.MaxValue))
        {
            locatorOfGid[EdgeScore.Gid(span.Span)] = span.Locator;
        }

        var assembler = new TraceAssembler(store, linker: linker);
        var search = new EdgeScore(scenario);
        var groups = new EdgeScore(scenario);
        var searchTimes = new List<double>();
        var groupTimes = new List<double>();
        foreach (var trace in scenario.Traces)
        {
            var id = trace.TraceId ?? SyntheticIds.TraceIdFor(locatorOfGid[trace.RootGid]);
            clock.Restart();
            var found = assembler.Search(id);
            searchTimes.Add(clock.Elapsed.TotalMilliseconds);
            search.Add(trace, found);
            clock.Restart();
            found = assembler.FromTraceGroup(id);
            groupTimes.Add(clock.Elapsed.TotalMilliseconds);
            groups.Add(trace, found);
        }

        // Rough, single-run figures on the in-memory double (not assertions; BenchmarkDotNet figures belong in bench/).
        searchTimes.Sort();
        groupTimes.Sort();
        output.WriteLine($"ingest into the in-memory double: {plainIngest.TotalMilliseconds:F0} ms without linker, {linkedIngest.TotalMilliseconds:F0} ms with linker");
        output.WriteLine($"per-trace assembly p50/p99: search {searchTimes[searchTimes.Count / 2]:F2}/{searchTimes[searchTimes.Count * 99 / 100]:F2} ms, " +
            $"trace group {groupTimes[groupTimes.Count / 2]:F2}/{groupTimes[groupTimes.Count * 99 / 100]:F2} ms");

        output.WriteLine($"{scenario.Traces.Count} traces, {scenario.SpanCount} spans, {scenario.TrueParent.Count} parent edges");
        output.WriteLine($"query-time search:  {search}");
        output.WriteLine($"ingest-time linker: {groups}");
        return (search, groups);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    internal static TraceGroupLinkerOptions SmallLinker(string directory) => new()
    {
        DataDirectory = directory,
        IndexSizeBytes = 1L << 20,
        MemorySizeBytes = 1L << 25,
        PageSizeBytes = 1L << 20,
    };
}
