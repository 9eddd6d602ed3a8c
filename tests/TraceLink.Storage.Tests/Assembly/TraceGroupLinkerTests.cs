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

    [Fact]
    public async Task Linking_in_store_batches_builds_the_same_groups_as_linking_span_by_span()
    {
        var scenario = ScenarioGenerator.Generate(new ScenarioOptions { Traces = 200, Seed = 11 });
        var store = new InMemorySpanStore();
        foreach (var batch in scenario.Batches)
        {
            await store.AppendAsync(batch, CancellationToken.None);
        }

        var spans = new List<StoredSpan>(store.ScanNewestFirst(long.MinValue, long.MaxValue));
        spans.Sort((a, b) => a.Locator.CompareTo(b.Locator));
        var groupsOneByOne = new Dictionary<long, List<long>>();
        using (var linker = new TraceGroupLinker(TraceAssemblyAccuracyTests.SmallLinker(Path.Combine(_directory, "single"))))
        {
            foreach (var span in spans)
            {
                linker.Link(span);
            }

            foreach (var span in spans)
            {
                groupsOneByOne[span.Locator] = Members(linker, linker.GroupOf(span.Locator));
            }
        }

        // A small cache forces records out of memory between batches, so FASTER reads are exercised too.
        var options = TraceAssemblyAccuracyTests.SmallLinker(Path.Combine(_directory, "batched"));
        using var batched = new TraceGroupLinker(new TraceGroupLinkerOptions
        {
            DataDirectory = options.DataDirectory,
            IndexSizeBytes = options.IndexSizeBytes,
            MemorySizeBytes = options.MemorySizeBytes,
            PageSizeBytes = options.PageSizeBytes,
            Assembly = options.Assembly,
            CacheRecords = 64,
        });
        for (var i = 0; i < spans.Count; i += 97)
        {
            batched.OnSpansAppended(AppendedSpans.From(spans.GetRange(i, Math.Min(97, spans.Count - i))), replayed: false);
        }

        var multiSpanGroups = 0;
        foreach (var span in spans)
        {
            var members = Members(batched, batched.GroupOf(span.Locator));
            Assert.Equal(groupsOneByOne[span.Locator], members);
            multiSpanGroups += members.Count > 1 ? 1 : 0;
        }

        Assert.True(multiSpanGroups > spans.Count / 2, "most spans were joined to others");

        // Replaying an already-linked batch (as the store does after a crash) changes nothing.
        batched.OnSpansAppended(AppendedSpans.From(spans.GetRange(0, 500)), replayed: true);
        foreach (var span in spans)
        {
            Assert.Equal(groupsOneByOne[span.Locator], Members(batched, batched.GroupOf(span.Locator)));
        }
    }

    [Fact]
    public void Group_table_keys_keep_the_documented_byte_layout()
    {
        var material = "10.0.0.1:5432|10.0.0.2:40000"u8;
        Span<byte> key = stackalloc byte[GroupTableKey.MaxLength];
        Assert.Equal(18, GroupTableKey.Link(2, System.IO.Hashing.XxHash128.HashToUInt128(material)).WriteTo(key));
        var expected = new byte[18];
        expected[0] = (byte)'K';
        expected[1] = 2;
        System.IO.Hashing.XxHash128.Hash(material, expected.AsSpan(2));
        Assert.Equal(expected, key[..18].ToArray());

        Assert.Equal(9, GroupTableKey.Span(0x0102030405060708).WriteTo(key));
        Assert.Equal(new byte[] { (byte)'S', 1, 2, 3, 4, 5, 6, 7, 8 }, key[..9].ToArray());
        Assert.Equal(13, GroupTableKey.Members(0x0102030405060708, 3).WriteTo(key));
        Assert.Equal(new byte[] { (byte)'M', 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 3 }, key[..13].ToArray());
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
