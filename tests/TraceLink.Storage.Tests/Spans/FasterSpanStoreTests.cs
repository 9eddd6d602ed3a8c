using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Tests.Spans;

public sealed class FasterSpanStoreTests : IDisposable
{
    private readonly StoreFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task Appended_spans_read_back_equal_with_resource_and_scope()
    {
        await using FasterSpanStore store = _fixture.Open();
        ExportTraceServiceRequest request = SpanFactory.Request("checkout", 0, 3, 4, SpanFactory.Now);

        int stored = await store.AppendAsync(request, CancellationToken.None);

        Assert.Equal(12, stored);
        IReadOnlyList<StoredSpan> trace = store.GetTrace(SpanFactory.TraceId(1));
        Assert.Equal(4, trace.Count);
        var expected = request.ResourceSpans[0].ScopeSpans[0].Spans.Where(s => s.TraceId.Span.SequenceEqual(SpanFactory.TraceId(1))).ToList();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expected[i], trace[i].Span);
            Assert.Equal(request.ResourceSpans[0].Resource, trace[i].Resource);
            Assert.Equal("tracelink.tests", trace[i].Scope.Name);
            Assert.Equal("checkout", trace[i].ServiceName);
        }

        Assert.True(trace[0].Locator < trace[1].Locator);
        Assert.Equal(trace[2].Span, store.Read(trace[2].Locator)!.Span);
        Assert.Empty(store.GetTrace(SpanFactory.TraceId(99)));
    }

    [Fact]
    public async Task Read_of_an_address_that_is_not_a_span_record_returns_null()
    {
        await using FasterSpanStore store = _fixture.Open();
        await store.AppendAsync(SpanFactory.Request("checkout", 0, 1, 2, SpanFactory.Now), CancellationToken.None);
        long locator = store.GetTrace(SpanFactory.TraceId(0))[0].Locator;

        Assert.Null(store.Read(locator + 4));
        Assert.Null(store.Read(locator - 4));
        Assert.Null(store.Read(store.CommittedUntilAddress + 64));
    }

    [Fact]
    public async Task Lookup_finds_every_index_kind_and_filters_by_start_time()
    {
        await using FasterSpanStore store = _fixture.Open();
        long start = SpanFactory.Now;
        await store.AppendAsync(SpanFactory.Request("checkout", 0, 2, 3, start, s => s.Attributes.Add(SpanFactory.Attr("pseudo_thread.id", 55L))), CancellationToken.None);
        await store.AppendAsync(SpanFactory.Request("checkout", 10, 1, 3, start + (10 * SpanIndexValues.NanosPerMinute)), CancellationToken.None);
        long target = store.GetTrace(SpanFactory.TraceId(1))[1].Locator;
        long to = start + SpanIndexValues.NanosPerMinute;

        (IndexKind Kind, byte[] Value)[] probes =
        [
            (IndexKind.TraceId, SpanFactory.TraceId(1)),
            (IndexKind.SpanId, SpanFactory.SpanId(1, 1)),
            (IndexKind.Service, SpanIndexValues.Utf8("checkout")),
            (IndexKind.SpanName, SpanIndexValues.Utf8("SELECT orders 1")),
            (IndexKind.Status, SpanIndexValues.Status(Status.Types.StatusCode.Unset)),
            (IndexKind.DurationBucket, SpanIndexValues.DurationBucket(2_000_000)),
            (IndexKind.TimeBucket, SpanIndexValues.TimeBucket(start)),
            (IndexKind.Kind, SpanIndexValues.Kind(Span.Types.SpanKind.Client)),
            (IndexKind.TcpReqSeq, SpanIndexValues.Int64(1_000_000 + 100 + 1)),
            (IndexKind.TcpRespSeq, SpanIndexValues.Int64(2_000_000 + 100 + 1)),
            (IndexKind.XRequestId, SpanIndexValues.Utf8("req-1-1")),
            (IndexKind.SyscallTraceId, SpanIndexValues.Int64(9_000_000 + 1)),
            (IndexKind.ThreadId, SpanIndexValues.ThreadId(77, 4001)),
            (IndexKind.PseudoThreadId, SpanIndexValues.PseudoThreadId(77, 55)),
        ];
        foreach ((IndexKind kind, byte[] value) in probes)
        {
            var found = new List<long>();
            store.Lookup(kind, value, start, to, found);
            Assert.True(found.Contains(target), $"{kind} did not find the span");
            foreach (long locator in found)
            {
                long spanStart = (long)store.Read(locator)!.Span.StartTimeUnixNano;
                Assert.InRange(spanStart, start, to);
            }
        }

        var service = new List<long>();
        store.Lookup(IndexKind.Service, SpanIndexValues.Utf8("checkout"), start, to, service);
        Assert.Equal(6, service.Count);
        service.Clear();
        store.Lookup(IndexKind.Service, SpanIndexValues.Utf8("checkout"), long.MinValue, long.MaxValue, service);
        Assert.Equal(9, service.Count);
        var none = new List<long>();
        store.Lookup(IndexKind.TraceId, SpanFactory.TraceId(1), start + 5000, long.MaxValue, none);
        Assert.Empty(none);
        store.Lookup(IndexKind.ThreadId, SpanIndexValues.ThreadId(78, 4001), long.MinValue, long.MaxValue, none);
        Assert.Empty(none);
    }

    [Fact]
    public async Task Posting_lists_longer_than_a_chunk_are_found_in_full()
    {
        await using (FasterSpanStore store = _fixture.Open(o => o.MaxPostingsPerChunk = 4))
        {
            for (int i = 0; i < 5; i++)
            {
                await store.AppendAsync(SpanFactory.Request("checkout", i * 10, 10, 3, SpanFactory.Now + i), CancellationToken.None);
            }

            var all = new List<long>();
            store.Lookup(IndexKind.Service, SpanIndexValues.Utf8("checkout"), long.MinValue, long.MaxValue, all);
            Assert.Equal(150, all.Count);
            Assert.Equal(150, all.Distinct().Count());
        }

        await using (FasterSpanStore reopened = _fixture.Open(o => o.MaxPostingsPerChunk = 4))
        {
            await reopened.AppendAsync(SpanFactory.Request("checkout", 100, 1, 3, SpanFactory.Now), CancellationToken.None);
            var all = new List<long>();
            reopened.Lookup(IndexKind.Service, SpanIndexValues.Utf8("checkout"), long.MinValue, long.MaxValue, all);
            Assert.Equal(153, all.Count);
            Assert.Equal(153, all.Distinct().Count());
        }
    }

    [Fact]
    public async Task Reopen_after_dispose_serves_spans_index_and_tags()
    {
        await using (FasterSpanStore store = _fixture.Open())
        {
            await store.AppendAsync(SpanFactory.Request("checkout", 0, 5, 4, SpanFactory.Now), CancellationToken.None);
        }

        await using FasterSpanStore reopened = _fixture.Open();
        Assert.Equal(4, reopened.GetTrace(SpanFactory.TraceId(3)).Count);
        var found = new List<long>();
        reopened.Lookup(IndexKind.XRequestId, SpanIndexValues.Utf8("req-4-2"), long.MinValue, long.MaxValue, found);
        Assert.Single(found);
        Assert.Contains("http.route", reopened.TagNames()["span"]);
        Assert.Contains("service.name", reopened.TagNames()["resource"]);
        Assert.Contains("checkout", reopened.TagValues("resource", "service.name"));
        Assert.Contains("db-3", reopened.TagValues("span", "net.peer.name"));
        Assert.Empty(reopened.TagValues("span", "no.such.tag"));
        Assert.DoesNotContain(_fixture.Logger.Entries, e => e.Id.Id == 3101);
    }

    [Fact]
    public async Task Reopen_without_any_checkpoint_rebuilds_the_index_from_the_log()
    {
        FasterSpanStore store = _fixture.Open();
        await store.AppendAsync(SpanFactory.Request("checkout", 0, 5, 4, SpanFactory.Now), CancellationToken.None);
        await store.CloseWithoutCheckpointAsync();

        await using FasterSpanStore reopened = _fixture.Open();
        Assert.Contains(_fixture.Logger.Entries, e => e.Id.Id == 3101);
        Assert.Equal(4, reopened.GetTrace(SpanFactory.TraceId(2)).Count);
        Assert.Contains("checkout", reopened.TagValues("resource", "service.name"));
        var found = new List<long>();
        reopened.Lookup(IndexKind.TcpRespSeq, SpanIndexValues.Int64(2_000_000 + 300 + 3), long.MinValue, long.MaxValue, found);
        Assert.Single(found);
    }

    [Fact]
    public async Task Reopen_replays_the_log_after_the_checkpoint_cookie_without_duplicates()
    {
        FasterSpanStore store = _fixture.Open();
        await store.AppendAsync(SpanFactory.Request("checkout", 0, 5, 4, SpanFactory.Now), CancellationToken.None);
        await store.CheckpointNowAsync();
        await store.AppendAsync(SpanFactory.Request("checkout", 5, 5, 4, SpanFactory.Now), CancellationToken.None);
        await store.AppendAsync(SpanFactory.Request("payments", 0, 1, 2, SpanFactory.Now), CancellationToken.None);
        await store.CloseWithoutCheckpointAsync();

        await using FasterSpanStore reopened = _fixture.Open();
        Assert.DoesNotContain(_fixture.Logger.Entries, e => e.Id.Id == 3101);
        Assert.Equal(4, reopened.GetTrace(SpanFactory.TraceId(7)).Count);
        Assert.Equal(6, reopened.GetTrace(SpanFactory.TraceId(0)).Count);
        var service = new List<long>();
        reopened.Lookup(IndexKind.Service, SpanIndexValues.Utf8("checkout"), long.MinValue, long.MaxValue, service);
        Assert.Equal(40, service.Count);
        Assert.Contains("payments", reopened.TagValues("resource", "service.name"));
    }

    [Fact]
    public async Task Concurrent_appenders_store_and_index_every_span_once()
    {
        await using FasterSpanStore store = _fixture.Open();
        const int Writers = 8;
        const int Requests = 15;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (int r = 0; r < Requests; r++)
            {
                int first = ((w * Requests) + r) * 4;
                int stored = await store.AppendAsync(SpanFactory.Request("svc-" + w, first, 4, 5, SpanFactory.Now + r), CancellationToken.None);
                Assert.Equal(20, stored);
                Assert.Equal(5, store.GetTrace(SpanFactory.TraceId(first + 3)).Count);
            }
        })));

        var all = new HashSet<long>();
        for (int t = 0; t < Writers * Requests * 4; t++)
        {
            IReadOnlyList<StoredSpan> trace = store.GetTrace(SpanFactory.TraceId(t));
            Assert.Equal(5, trace.Count);
            foreach (StoredSpan span in trace)
            {
                Assert.True(all.Add(span.Locator));
                Assert.Equal(SpanFactory.TraceId(t), span.Span.TraceId.ToByteArray());
            }
        }

        var minute = new List<long>();
        store.Lookup(IndexKind.TimeBucket, SpanIndexValues.TimeBucket(SpanFactory.Now), long.MinValue, long.MaxValue, minute);
        Assert.Equal(Writers * Requests * 20, minute.Count);
    }

    [Fact]
    public async Task Checkpoints_taken_during_concurrent_appends_recover_every_span_exactly_once()
    {
        FasterSpanStore store = _fixture.Open();
        using var stop = new CancellationTokenSource();
        Task checkpoints = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await store.CheckpointNowAsync();
            }
        });
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (int r = 0; r < 20; r++)
            {
                await store.AppendAsync(SpanFactory.Request("svc", ((w * 20) + r) * 2, 2, 5, SpanFactory.Now), CancellationToken.None);
            }
        })));
        await stop.CancelAsync();
        await checkpoints;
        await store.CloseWithoutCheckpointAsync();

        await using FasterSpanStore reopened = _fixture.Open();
        for (int t = 0; t < 160; t++)
        {
            Assert.Equal(5, reopened.GetTrace(SpanFactory.TraceId(t)).Count);
        }

        var all = new List<long>();
        reopened.Lookup(IndexKind.Service, SpanIndexValues.Utf8("svc"), long.MinValue, long.MaxValue, all);
        Assert.Equal(800, all.Count);
        Assert.Equal(800, all.Distinct().Count());
    }

    [Fact]
    public async Task ScanNewestFirst_returns_newest_minute_first_within_range()
    {
        await using FasterSpanStore store = _fixture.Open();
        long start = SpanFactory.Now - (10 * SpanIndexValues.NanosPerMinute);
        for (int m = 0; m < 5; m++)
        {
            await store.AppendAsync(SpanFactory.Request("checkout", m, 1, 2, start + (m * 2 * SpanIndexValues.NanosPerMinute)), CancellationToken.None);
        }

        var spans = store.ScanNewestFirst(start + SpanIndexValues.NanosPerMinute, long.MaxValue).ToList();

        Assert.Equal(8, spans.Count);
        for (int i = 1; i < spans.Count; i++)
        {
            Assert.True(spans[i - 1].Span.StartTimeUnixNano / 60_000_000_000 >= spans[i].Span.StartTimeUnixNano / 60_000_000_000);
        }

        Assert.Equal(SpanFactory.TraceId(4), spans[0].Span.TraceId.ToByteArray());
        Assert.DoesNotContain(spans, s => s.Span.TraceId.Span.SequenceEqual(SpanFactory.TraceId(0)));
    }

    [Fact]
    public async Task Tag_catalog_is_bounded_per_name()
    {
        await using FasterSpanStore store = _fixture.Open(o => o.MaxTagValuesPerName = 3);
        await store.AppendAsync(SpanFactory.Request("checkout", 0, 5, 4, SpanFactory.Now), CancellationToken.None);

        Assert.Equal(3, store.TagValues("span", "x_request_id.req").Count);
    }

    [Fact]
    public async Task A_span_larger_than_a_log_page_is_rejected_without_storing_anything()
    {
        await using FasterSpanStore store = _fixture.Open();
        ExportTraceServiceRequest request = SpanFactory.Request("checkout", 0, 1, 2, SpanFactory.Now,
            s => s.Attributes.Add(SpanFactory.Attr("http.response.body", new string('x', 70_000))));

        await Assert.ThrowsAsync<InvalidDataException>(() => store.AppendAsync(request, CancellationToken.None).AsTask());
        Assert.Empty(store.GetTrace(SpanFactory.TraceId(0)));
    }
}
