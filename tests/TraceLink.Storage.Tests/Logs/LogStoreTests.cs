using TraceLink.Storage.Logs;
using TraceLink.Storage.Tsdb;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Storage.Tests.Logs;

public sealed class LogStoreTests : IDisposable
{
    private const long T0 = 1_700_000_000_000_000_000;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tracelink-logs-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Lines_survive_reopen_with_their_stream_labels_ids_and_times()
    {
        var traceId = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var spanId = Enumerable.Range(1, 8).Select(i => (byte)(i * 3)).ToArray();
        using (var store = Open())
        {
            var cart = store.GetOrAddStream([new("service_name", "cart"), new("level", "error")]);
            var shop = store.GetOrAddStream([new("level", "info"), new("service_name", "shop")]);
            await store.AppendAsync(
                [
                    new LogRecord(cart, T0 + 1, traceId, spanId, "GET /cart status=500 trace_id=0102"),
                    new LogRecord(shop, T0 + 2, default, default, "ünïcode line"),
                ],
                default);
        }

        using (var reopened = Open())
        {
            Assert.Equal(0, reopened.TruncatedBytes);
            var all = reopened.Select([], T0, T0 + 10, forward: true, limit: 10);
            Assert.Equal(2, all.Count);
            Assert.Equal("GET /cart status=500 trace_id=0102", all[0].Line);
            Assert.Equal(T0 + 1, all[0].TimestampNs);
            Assert.Equal(Convert.ToHexStringLower(traceId), all[0].TraceId);
            Assert.Equal(Convert.ToHexStringLower(spanId), all[0].SpanId);
            Assert.Equal("{level=\"error\", service_name=\"cart\"}", all[0].Stream.Key);
            Assert.Equal("ünïcode line", all[1].Line);
            Assert.Equal(string.Empty, all[1].TraceId);

            // The same label set maps to the same stream after reopen, in any label order.
            var again = reopened.GetOrAddStream([new("service_name", "cart"), new("level", "error")]);
            Assert.Equal(all[0].Stream.Id, again.Id);
            Assert.Equal(2, reopened.MatchStreams([]).Count);
        }
    }

    [Fact]
    public async Task Torn_tail_is_cut_off_on_reopen_and_earlier_lines_are_served()
    {
        string path;
        using (var store = Open())
        {
            var stream = store.GetOrAddStream([new("service_name", "a")]);
            await store.AppendAsync([new LogRecord(stream, T0, default, default, "first"), new LogRecord(stream, T0 + 1, default, default, "second")], default);
            path = Directory.GetFiles(_directory, "segment-*.log").Single();
        }

        // A crash halfway through writing the next record: a frame that promises more bytes than exist.
        var intact = new FileInfo(path).Length;
        await using (var file = new FileStream(path, FileMode.Append))
        {
            file.Write([200, 0, 0, 0, 1, 2, 3, 4, 2, 9, 9]);
        }

        using (var reopened = Open())
        {
            Assert.Equal(11, reopened.TruncatedBytes);
            Assert.Equal(["first", "second"], reopened.Select([], T0, T0 + 10, true, 10).Select(e => e.Line));
            var stream = reopened.GetOrAddStream([new("service_name", "a")]);
            await reopened.AppendAsync([new LogRecord(stream, T0 + 2, default, default, "third")], default);
        }

        Assert.True(new FileInfo(path).Length > intact);
        using var last = Open();
        Assert.Equal(0, last.TruncatedBytes);
        Assert.Equal(["first", "second", "third"], last.Select([], T0, T0 + 10, true, 10).Select(e => e.Line));
    }

    [Fact]
    public async Task Record_with_a_bad_checksum_and_everything_after_it_is_dropped_on_reopen()
    {
        string path;
        using (var store = Open())
        {
            var stream = store.GetOrAddStream([new("service_name", "a")]);
            await store.AppendAsync([new LogRecord(stream, T0, default, default, "keep")], default);
            await store.AppendAsync([new LogRecord(stream, T0 + 1, default, default, "flipped"), new LogRecord(stream, T0 + 2, default, default, "after")], default);
            path = Directory.GetFiles(_directory, "segment-*.log").Single();
        }

        var bytes = File.ReadAllBytes(path);
        var position = bytes.AsSpan().IndexOf("flipped"u8);
        bytes[position] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        using var reopened = Open();
        Assert.True(reopened.TruncatedBytes > 0);
        Assert.Equal(["keep"], reopened.Select([], T0, T0 + 10, true, 10).Select(e => e.Line));
    }

    [Fact]
    public async Task Select_honours_matchers_time_range_direction_limit_filter_and_trace_id()
    {
        using var store = Open();
        var error = store.GetOrAddStream([new("service_name", "cart"), new("level", "error")]);
        var info = store.GetOrAddStream([new("service_name", "cart"), new("level", "info")]);
        var other = store.GetOrAddStream([new("service_name", "shop"), new("level", "info")]);
        var trace = new byte[16];
        trace[15] = 42;
        var records = new List<LogRecord>();
        for (var i = 0; i < 100; i++)
        {
            var stream = i % 10 == 0 ? error : i % 2 == 0 ? info : other;
            records.Add(new LogRecord(stream, T0 + (i * 1000), i % 25 == 0 ? trace : default, default, $"line {i}"));
        }

        // Arrival order is not time order: append in reverse.
        records.Reverse();
        await store.AppendAsync(records, default);

        var errors = store.Select([new LabelMatcher(MatchType.Regex, "level", "err.*")], T0, T0 + 1_000_000, forward: true, limit: 100);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"line {i * 10}"), errors.Select(e => e.Line));

        var newestCart = store.Select([new LabelMatcher(MatchType.Equal, "service_name", "cart")], T0, T0 + 1_000_000, forward: false, limit: 3);
        Assert.Equal(["line 98", "line 96", "line 94"], newestCart.Select(e => e.Line));

        var window = store.Select([], T0 + 10_000, T0 + 12_000, forward: true, limit: 100);
        Assert.Equal(["line 10", "line 11", "line 12"], window.Select(e => e.Line));

        var filtered = store.Select([], T0, T0 + 1_000_000, true, 100, line => line.EndsWith('7'));
        Assert.Equal(10, filtered.Count);

        var byTrace = store.Select([], T0, T0 + 1_000_000, true, 100, traceId: trace);
        Assert.Equal(["line 0", "line 25", "line 50", "line 75"], byTrace.Select(e => e.Line));
        Assert.All(byTrace, e => Assert.Equal(Convert.ToHexStringLower(trace), e.TraceId));
        var byTraceAndService = store.Select([new LabelMatcher(MatchType.Equal, "service_name", "shop")], T0, T0 + 1_000_000, true, 100, traceId: trace);
        Assert.Equal(["line 25", "line 75"], byTraceAndService.Select(e => e.Line));

        Assert.Equal(["level", "service_name"], store.LabelNames(T0, T0 + 1_000_000));
        Assert.Equal(["cart", "shop"], store.LabelValues("service_name", T0, T0 + 1_000_000, []));
        Assert.Equal(["error", "info"], store.LabelValues("level", T0, T0 + 1_000_000, [new LabelMatcher(MatchType.Equal, "service_name", "cart")]));
        Assert.Empty(store.LabelNames(T0 + 2_000_000, T0 + 3_000_000));
    }

    [Fact]
    public async Task Retention_deletes_the_oldest_segments_and_the_rest_stays_readable_after_reopen()
    {
        var options = new LogStoreOptions { Directory = _directory, SegmentBytes = 8192, MaxBytes = 3 * 8192 };
        var line = new string('x', 200);
        using (var store = LogStore.Open(options))
        {
            var stream = store.GetOrAddStream([new("service_name", "a")]);
            for (var i = 0; i < 500; i++)
            {
                await store.AppendAsync([new LogRecord(stream, T0 + i, default, default, $"{i:D4} {line}")], default);
            }

            Assert.True(Directory.GetFiles(_directory, "segment-*.log").Length <= 4);
            var kept = store.Select([], T0, T0 + 1000, true, 1000);
            Assert.True(kept.Count is > 50 and < 500);
            Assert.Equal("0499", kept[^1].Line[..4]);
        }

        using var reopened = LogStore.Open(options);
        var after = reopened.Select([new LabelMatcher(MatchType.Equal, "service_name", "a")], T0, T0 + 1000, true, 1000);
        Assert.True(after.Count is > 50 and < 500);
        Assert.Equal("0499", after[^1].Line[..4]);
        Assert.Equal(0, reopened.TruncatedBytes);
    }

    private LogStore Open() => LogStore.Open(new LogStoreOptions { Directory = _directory });
}
