using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Tests.Spans;

public sealed class SpanStoreDurabilityTests : IDisposable
{
    private readonly StoreFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task Truncated_segment_file_tail_is_dropped_with_a_log_line_and_later_appends_work()
    {
        long torn = await WriteTwoBatchesAsync();
        string segment = Path.Combine(_fixture.LogDirectory, "spans.log.0");
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.Write))
        {
            // Cut the last span record in half, as a crash in the middle of a write would.
            file.SetLength(torn + 40);
        }

        await AssertTornTailDroppedAsync(torn);
    }

    [Fact]
    public async Task Garbage_in_the_last_record_is_detected_by_checksum_and_never_served()
    {
        long torn = await WriteTwoBatchesAsync();
        string segment = Path.Combine(_fixture.LogDirectory, "spans.log.0");
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.Write))
        {
            file.Position = torn + 60;
            file.Write(Enumerable.Repeat((byte)0xAB, 24).ToArray());
        }

        await AssertTornTailDroppedAsync(torn);
    }

    [Fact]
    public async Task Retention_deletes_whole_segment_files_and_stops_serving_old_spans()
    {
        Action<SpanStoreOptions> small = o =>
        {
            o.LogPageSize = 1L << 13;
            o.LogMemorySize = 1L << 15;
            o.LogSegmentSize = 1L << 14;
            o.Retention = TimeSpan.FromDays(1);
        };
        long old = SpanFactory.Now - (3 * 24 * 60 * SpanIndexValues.NanosPerMinute);
        await using (FasterSpanStore store = _fixture.Open(small))
        {
            for (int r = 0; r < 10; r++)
            {
                await store.AppendAsync(SpanFactory.Request("old-service", r * 5, 5, 4, old + r), CancellationToken.None);
            }

            await store.AppendAsync(SpanFactory.Request("new-service", 1000, 2, 4, SpanFactory.Now), CancellationToken.None);
            string[] before = SegmentFiles();
            Assert.True(before.Length >= 4, $"expected several segments, got {before.Length}");
            long firstNew = store.GetTrace(SpanFactory.TraceId(1000))[0].Locator;
            long oldLocator = store.GetTrace(SpanFactory.TraceId(3))[0].Locator;

            long begin = await store.ApplyRetentionAsync(DateTimeOffset.UtcNow);

            Assert.True(begin > oldLocator && begin <= firstNew, $"begin {begin}, old {oldLocator}, first new {firstNew}");
            long firstKeptSegment = begin >> 14;
            Assert.True(firstKeptSegment >= 3);
            await WaitUntilAsync(() => !File.Exists(SegmentPath(0)) && !File.Exists(SegmentPath(firstKeptSegment - 1)));
            Assert.True(File.Exists(SegmentPath(firstKeptSegment)));
            Assert.Empty(store.GetTrace(SpanFactory.TraceId(3)));
            Assert.Null(store.Read(oldLocator));
            var oldPostings = new List<long>();
            store.Lookup(IndexKind.Service, SpanIndexValues.Utf8("old-service"), long.MinValue, long.MaxValue, oldPostings);
            Assert.Empty(oldPostings);
            Assert.Equal(4, store.GetTrace(SpanFactory.TraceId(1001)).Count);
            Assert.Equal(8, store.ScanNewestFirst(long.MinValue, long.MaxValue).Count());

            // Compaction drops the expired posting chunks from the index itself, not just from results.
            await store.CheckpointNowAsync();
            Assert.Equal(4, store.RawPostingCount(IndexKind.TraceId, SpanFactory.TraceId(3)));
            long indexBegin = store.IndexLogBeginAddress;
            Assert.True(await store.CompactIndexNowAsync() > indexBegin);
            Assert.Equal(0, store.RawPostingCount(IndexKind.TraceId, SpanFactory.TraceId(3)));
            Assert.Equal(4, store.RawPostingCount(IndexKind.TraceId, SpanFactory.TraceId(1001)));
            Assert.Equal(4, store.GetTrace(SpanFactory.TraceId(1001)).Count);
        }

        await using FasterSpanStore reopened = _fixture.Open(small);
        Assert.Empty(reopened.GetTrace(SpanFactory.TraceId(3)));
        Assert.Equal(4, reopened.GetTrace(SpanFactory.TraceId(1000)).Count);
        await reopened.AppendAsync(SpanFactory.Request("new-service", 2000, 1, 4, SpanFactory.Now), CancellationToken.None);
        Assert.Equal(4, reopened.GetTrace(SpanFactory.TraceId(2000)).Count);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }

    private string SegmentPath(long segment) => Path.Combine(_fixture.LogDirectory, $"spans.log.{segment}");

    private string[] SegmentFiles() => Directory.GetFiles(_fixture.LogDirectory, "spans.log.*");

    /// <summary>Writes two batches and returns the locator of the very last span record.</summary>
    private async Task<long> WriteTwoBatchesAsync()
    {
        await using FasterSpanStore store = _fixture.Open();
        await store.AppendAsync(SpanFactory.Request("checkout", 0, 5, 4, SpanFactory.Now), CancellationToken.None);
        await store.AppendAsync(SpanFactory.Request("checkout", 10, 1, 4, SpanFactory.Now), CancellationToken.None);
        IReadOnlyList<StoredSpan> last = store.GetTrace(SpanFactory.TraceId(10));
        Assert.Equal(4, last.Count);
        return last[3].Locator;
    }

    private async Task AssertTornTailDroppedAsync(long torn)
    {
        await using (FasterSpanStore reopened = _fixture.Open())
        {
            Assert.Contains(_fixture.Logger.Entries, e => e.Id.Id == 3102 && e.Message.Contains(torn.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
            Assert.Null(reopened.Read(torn));
            Assert.Equal(3, reopened.GetTrace(SpanFactory.TraceId(10)).Count);
            Assert.Equal(4, reopened.GetTrace(SpanFactory.TraceId(4)).Count);
            var byRequestId = new List<long>();
            reopened.Lookup(IndexKind.XRequestId, SpanIndexValues.Utf8("req-10-3"), long.MinValue, long.MaxValue, byRequestId);
            Assert.Empty(byRequestId);

            await reopened.AppendAsync(SpanFactory.Request("checkout", 20, 1, 4, SpanFactory.Now), CancellationToken.None);
            Assert.Equal(4, reopened.GetTrace(SpanFactory.TraceId(20)).Count);
        }

        await using FasterSpanStore again = _fixture.Open();
        Assert.Equal(4, again.GetTrace(SpanFactory.TraceId(20)).Count);
        Assert.Equal(3, again.GetTrace(SpanFactory.TraceId(10)).Count);
        Assert.Null(again.Read(torn));
    }
}
