using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Ingest.DerivedLogs;
using TraceLink.Ingest.Tests.Support;
using TraceLink.Storage.Logs;
using TraceLink.Storage.Tsdb;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Ingest.Tests.DerivedLogs;

public sealed class DerivedLogWriterTests : IDisposable
{
    private const long T0 = 1_700_000_000_000_000_000;
    private const long AllTime = long.MaxValue;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tracelink-derived-" + Guid.NewGuid().ToString("N"));
    private readonly TestMeterFactory _meters = new();
    private readonly LogStore _store;

    public DerivedLogWriterTests() => _store = LogStore.Open(new LogStoreOptions { Directory = _directory });

    public void Dispose()
    {
        _store.Dispose();
        _meters.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Sampling_keeps_every_error_and_slow_span_and_the_configured_fraction_of_the_rest()
    {
        var writer = new DerivedLogWriter(_store, new DerivedLogOptions { SampleRatio = 0.25, SlowThreshold = TimeSpan.FromMilliseconds(300) }, _meters);
        var random = new Random(42);
        int errors = 0, slow = 0, other = 0;
        for (var batch = 0; batch < 100; batch++)
        {
            var spans = new Span[100];
            for (var i = 0; i < spans.Length; i++)
            {
                var kind = random.Next(20);
                var isError = kind == 0;
                var isSlow = kind == 1;
                errors += isError ? 1 : 0;
                slow += isSlow ? 1 : 0;
                other += isError || isSlow ? 0 : 1;
                var duration = isSlow ? random.NextInt64(300_000_000, 2_000_000_000) : random.NextInt64(1_000, 299_000_000);
                spans[i] = SpanBuilder.Create(SpanBuilder.TraceId(random), (ulong)i + 1, "op", T0 + (batch * 1_000_000_000L) + i, duration,
                    status: isError ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Ok);
            }

            await writer.OnStoredAsync(SpanBuilder.Batch("cart", spans), default);
        }

        var lines = _store.Select([], 0, AllTime, true, 100_000);
        var errorLines = lines.Count(l => l.Stream.Get("level") == "error");
        var slowLines = lines.Count(l => l.Stream.Get("level") == "info" && Duration(l.Line) >= 300);
        var otherLines = lines.Count - errorLines - slowLines;
        Assert.Equal(errors, errorLines);
        Assert.Equal(slow, slowLines);
        Assert.InRange(otherLines / (double)other, 0.25 * 0.95, 0.25 * 1.05);
        Assert.Equal(errors, _meters.Total("tracelink.derived_logs.kept|rule=error|source=span"));
        Assert.Equal(slow, _meters.Total("tracelink.derived_logs.kept|rule=slow|source=span"));
        Assert.Equal(otherLines, _meters.Total("tracelink.derived_logs.kept|rule=sampled|source=span"));
        Assert.Equal(other - otherLines, _meters.Total("tracelink.derived_logs.dropped|rule=sampled|source=span"));
    }

    [Fact]
    public async Task A_trace_is_kept_or_dropped_as_a_whole()
    {
        var writer = new DerivedLogWriter(_store, new DerivedLogOptions { SampleRatio = 0.5 }, _meters);
        var random = new Random(9);
        var traces = Enumerable.Range(0, 200).Select(_ => SpanBuilder.TraceId(random)).ToList();
        // Spans of one trace arrive spread over several batches, from several services.
        for (var round = 0; round < 4; round++)
        {
            var spans = traces.Select((t, i) => SpanBuilder.Create(t, (ulong)((round * 1000) + i + 1), "op", T0 + round, 1_000_000)).ToArray();
            await writer.OnStoredAsync(SpanBuilder.Batch("svc" + round, spans), default);
        }

        var perTrace = _store.Select([], 0, AllTime, true, 100_000).GroupBy(l => l.TraceId).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(perTrace.Values, count => Assert.Equal(4, count));
        Assert.InRange(perTrace.Count, 60, 140);
    }

    [Fact]
    public async Task Lines_carry_ids_request_details_and_a_bounded_body_excerpt_and_events_become_records()
    {
        var writer = new DerivedLogWriter(_store, new DerivedLogOptions { SampleRatio = 1, MaxBodyExcerptChars = 10 }, _meters);
        var traceId = Convert.FromHexString("5b8efff798038103d269b633813fc60c");
        var span = SpanBuilder.Create(traceId, 0x0102030405060708, "POST /orders", T0, 12_345_000, Span.Types.SpanKind.Server, Status.Types.StatusCode.Error,
            ("http.request.method", "POST"), ("http.route", "/orders"), ("http.response.status_code", 500L),
            ("http.request.body", "{\"item\": \"a very long body that must be cut\"}"));
        span.Status.Message = "db timeout";
        span.Events.Add(new Span.Types.Event { Name = "exception", TimeUnixNano = (ulong)T0 + 5, Attributes = { SpanBuilder.Attribute("exception.type", "TimeoutException") } });

        await writer.OnStoredAsync(SpanBuilder.Batch("orders", span), default);

        var lines = _store.Select([], 0, AllTime, true, 10, traceId: traceId);
        Assert.Equal(2, lines.Count);
        var spanLine = lines[0];
        var spanIdHex = Convert.ToHexStringLower(span.SpanId.Span);
        Assert.Equal(
            $"method=POST route=/orders status=500 duration=12.345ms span_name=\"POST /orders\" kind=server error=\"db timeout\" request_body=\"{{\\\"item\\\": \\\"…\" trace_id=5b8efff798038103d269b633813fc60c span_id={spanIdHex}",
            spanLine.Line);
        Assert.Equal("{level=\"error\", service_name=\"orders\", source=\"span\"}", spanLine.Stream.Key);
        Assert.Equal(T0, spanLine.TimestampNs);
        Assert.Equal(spanIdHex, spanLine.SpanId);

        var eventLine = lines[1];
        Assert.Equal($"event=exception span_name=\"POST /orders\" exception.type=TimeoutExc… trace_id=5b8efff798038103d269b633813fc60c span_id={spanIdHex}", eventLine.Line);
        Assert.Equal("span_event", eventLine.Stream.Get("source"));
        Assert.Equal(T0 + 5, eventLine.TimestampNs);

        var byService = _store.Select([new LabelMatcher(MatchType.Equal, "service_name", "orders"), new LabelMatcher(MatchType.Equal, "source", "span")], 0, AllTime, true, 10);
        Assert.Equal(spanLine.Line, Assert.Single(byService).Line);
    }

    private static double Duration(string line)
    {
        var text = line.Split(' ').Single(p => p.StartsWith("duration=", StringComparison.Ordinal))["duration=".Length..];
        return text.EndsWith("ms", StringComparison.Ordinal) ? double.Parse(text[..^2], System.Globalization.CultureInfo.InvariantCulture)
            : text.EndsWith("µs", StringComparison.Ordinal) ? double.Parse(text[..^2], System.Globalization.CultureInfo.InvariantCulture) / 1000
            : double.Parse(text[..^1], System.Globalization.CultureInfo.InvariantCulture) * 1000;
    }
}
