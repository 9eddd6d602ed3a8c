using TraceLink.Storage.Assembly;
using TraceLink.Storage.Tests.Assembly.Scenarios;

using Xunit.Abstractions;

namespace TraceLink.Storage.Tests.Assembly;

public sealed class TraceAssemblyAccuracyTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tracelink-assembly-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Query_time_search_and_ingest_time_linker_meet_parent_edge_targets_at_1000_concurrent_traces()
    {
        var scenario = ScenarioGenerator.Generate(new ScenarioOptions { Traces = 1000 });
        using var linker = new TraceGroupLinker(SmallLinker(_directory));
        var store = new InMemorySpanStore(linker);
        foreach (var batch in scenario.Batches)
        {
            await store.AppendAsync(batch, CancellationToken.None);
        }

        var locatorOfGid = new Dictionary<int, long>();
        foreach (var span in store.ScanNewestFirst(long.MinValue, long.MaxValue))
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

        output.WriteLine($"{scenario.Traces.Count} traces, {scenario.SpanCount} spans, {scenario.TrueParent.Count} parent edges");
        output.WriteLine($"query-time search:  {search}");
        output.WriteLine($"ingest-time linker: {groups}");
        Assert.True(search.Precision >= 0.995 && search.Recall >= 0.98, "search: " + search);
        Assert.True(groups.Precision >= 0.995 && groups.Recall >= 0.98, "linker: " + groups);
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
