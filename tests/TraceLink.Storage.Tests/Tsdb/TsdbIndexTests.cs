using TraceLink.Storage.Tsdb;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Storage.Tests.Tsdb;

public sealed class TsdbIndexTests : IDisposable
{
    private const long T0 = 1_700_000_000_000;
    private readonly TempDirectory _dir = new();
    private readonly TempDirectory _crashCopy = new();

    public void Dispose()
    {
        _dir.Dispose();
        _crashCopy.Dispose();
    }

    [Fact]
    public async Task Postings_recovered_from_the_index_checkpoint_answer_matchers_and_new_series_get_fresh_ids()
    {
        using (var store = Open(_dir.Path))
        {
            await WriteAsync(store, "a", "x", T0);
            await WriteAsync(store, "b", "x", T0);
            await WriteAsync(store, "c", "y", T0);
        }

        Assert.True(File.Exists(Path.Combine(_dir.Path, "index", "hlog", "index.log.0")));
        using var reopened = Open(_dir.Path);
        await WriteAsync(reopened, "d", "y", T0);
        Assert.Equal(["a", "b"], Jobs(reopened, new LabelMatcher(MatchType.Equal, "env", "x")));
        Assert.Equal(["c", "d"], Jobs(reopened, new LabelMatcher(MatchType.Regex, "env", "y|z")));
        Assert.Equal(["d"], Jobs(reopened, new LabelMatcher(MatchType.Equal, "job", "d")));
        Assert.Equal(["a", "b", "c"], Jobs(reopened, new LabelMatcher(MatchType.NotEqual, "job", "d"), new LabelMatcher(MatchType.Regex, "job", ".+")));
    }

    [Fact]
    public async Task Series_created_after_the_last_index_checkpoint_are_found_after_a_crash()
    {
        using (var store = Open(_dir.Path))
        {
            await WriteAsync(store, "a", "x", T0);
        }

        using (var store = Open(_dir.Path))
        {
            // Not checkpointed: a crash now leaves them only in the WAL.
            await WriteAsync(store, "b", "x", T0);
            await WriteAsync(store, "c", "y", T0);
            CopyDirectory(_dir.Path, _crashCopy.Path);
        }

        using var recovered = Open(_crashCopy.Path);
        Assert.Equal(3, recovered.SeriesCount);
        Assert.Equal(["a", "b"], Jobs(recovered, new LabelMatcher(MatchType.Equal, "env", "x")));
        Assert.Equal(["c"], Jobs(recovered, new LabelMatcher(MatchType.Equal, "env", "y")));
        await WriteAsync(recovered, "e", "x", T0);
        Assert.Equal(["a", "b", "e"], Jobs(recovered, new LabelMatcher(MatchType.Equal, "env", "x")));
    }

    [Fact]
    public async Task A_damaged_index_is_rebuilt_from_blocks_and_wal()
    {
        using (var store = Open(_dir.Path))
        {
            await WriteAsync(store, "a", "x", T0);
            store.CompactHead();
            await WriteAsync(store, "b", "x", T0 + 1000);
        }

        foreach (var f in Directory.EnumerateFiles(Path.Combine(_dir.Path, "index"), "*", SearchOption.AllDirectories))
        {
            File.WriteAllBytes(f, [1, 2, 3]);
        }

        using var reopened = Open(_dir.Path);
        Assert.Equal(["a", "b"], Jobs(reopened, new LabelMatcher(MatchType.Equal, "env", "x")));
    }

    private static TsdbStore Open(string dir) => new(new TsdbOptions { DataDirectory = dir, RetentionTime = TimeSpan.Zero });

    private static async Task WriteAsync(TsdbStore store, string job, string env, long t)
    {
        var app = store.Appender();
        app.AppendFloat([new("__name__", "up"), new("env", env), new("job", job)], t, 1);
        await app.CommitAsync(CancellationToken.None);
    }

    private static List<string> Jobs(TsdbStore store, params LabelMatcher[] matchers)
    {
        var jobs = new List<string>();
        foreach (var s in store.Select(long.MinValue, long.MaxValue, matchers))
        {
            foreach (var l in s.Labels)
            {
                if (l.Name == "job")
                {
                    jobs.Add(l.Value);
                }
            }
        }

        return jobs;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            using var src = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var dst = File.Create(Path.Combine(to, Path.GetRelativePath(from, file)));
            src.CopyTo(dst);
        }
    }
}
