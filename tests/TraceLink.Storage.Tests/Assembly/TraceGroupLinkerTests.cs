using TraceLink.Storage.Assembly;
using TraceLink.Storage.Spans;
using TraceLink.Storage.Tests.Assembly.Scenarios;

namespace TraceLink.Storage.Tests.Assembly;

public sealed class TraceGroupLinkerTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tracelink-groups-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Groups_survive_checkpoint_and_reopen_and_replaying_the_log_changes_nothing()
    {
        var scenario = ScenarioGenerator.Generate(new ScenarioOptions { Traces = 200, Seed = 5 });
        var store = new InMemorySpanStore();
        foreach (var batch in scenario.Batches)
        {
            await store.AppendAsync(batch, CancellationToken.None);
        }

        var spans = new List<StoredSpan>(store.ScanNewestFirst(long.MinValue, long.MaxValue));
        spans.Sort((a, b) => a.Locator.CompareTo(b.Locator));
        var half = spans.Count / 2;
        var groupsBefore = new Dictionary<long, List<long>>();
        using (var linker = new TraceGroupLinker(TraceAssemblyAccuracyTests.SmallLinker(_directory)))
        {
            Assert.Equal(0, linker.ReplayFrom);
            for (var i = 0; i < half; i++)
            {
                linker.Link(spans[i]);
            }

            await linker.CheckpointAsync(spans[half].Locator, CancellationToken.None);

            // Linked after the checkpoint: lost with the process, recovered by replay.
            for (var i = half; i < spans.Count; i++)
            {
                linker.Link(spans[i]);
            }

            foreach (var span in spans)
            {
                groupsBefore[span.Locator] = Members(linker, linker.GroupOf(span.Locator));
            }
        }

        using (var reopened = new TraceGroupLinker(TraceAssemblyAccuracyTests.SmallLinker(_directory)))
        {
            Assert.Equal(spans[half].Locator, reopened.ReplayFrom);

            // Replay from an earlier position than needed, as a store may: already-linked spans are skipped.
            foreach (var span in spans)
            {
                if (span.Locator >= spans[half / 2].Locator)
                {
                    reopened.Link(span);
                }
            }

            foreach (var span in spans)
            {
                Assert.Equal(groupsBefore[span.Locator], Members(reopened, reopened.GroupOf(span.Locator)));
            }
        }
    }

    [Fact]
    public async Task A_synthetic_trace_id_names_the_group_of_its_earliest_span()
    {
        var scenario = ScenarioGenerator.Generate(new ScenarioOptions { Traces = 50, Seed = 9, EventLoopAppCallRate = 0 });
        using var linker = new TraceGroupLinker(TraceAssemblyAccuracyTests.SmallLinker(_directory));
        var store = new InMemorySpanStore(linker);
        foreach (var batch in scenario.Batches)
        {
            await store.AppendAsync(batch, CancellationToken.None);
        }

        var ebpfOnly = 0;
        foreach (var span in store.ScanNewestFirst(long.MinValue, long.MaxValue))
        {
            var group = linker.GroupOf(span.Locator);
            var traceId = linker.TraceIdOf(group);
            if (!SyntheticIds.TryParseTraceId(traceId, out var earliest))
            {
                continue;
            }

            ebpfOnly++;
            var members = Members(linker, group);
            Assert.Equal(members.Min(), earliest);
            Assert.Equal(group, linker.GroupOfTrace(traceId));
        }

        Assert.True(ebpfOnly > 0, "the scenario has eBPF-only traces");
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static List<long> Members(TraceGroupLinker linker, long group)
    {
        var members = new List<long>();
        linker.GetGroupSpans(group, members);
        members.Sort();
        return members;
    }
}
