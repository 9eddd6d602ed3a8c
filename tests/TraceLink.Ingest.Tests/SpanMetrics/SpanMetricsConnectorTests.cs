using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Ingest.SpanMetrics;
using TraceLink.Ingest.Tests.Support;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Ingest.Tests.SpanMetrics;

public sealed class SpanMetricsConnectorTests : IDisposable
{
    private const long T0 = 1_700_000_000_000_000_000;
    private const string Calls = "traces_spanmetrics_calls_total";
    private const string Duration = "traces_spanmetrics_duration_seconds";

    private readonly RecordingSeriesStore _store = new();
    private readonly TestMeterFactory _meters = new();
    private readonly ManualTime _time = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_100_000));

    public void Dispose() => _meters.Dispose();

    [Fact]
    public async Task Counters_and_histograms_match_counts_and_durations_computed_from_the_spans()
    {
        var connector = Create(new SpanMetricsOptions());
        var random = new Random(7);
        var names = new[] { "GET /cart", "POST /checkout", "GET /item/{id}" };
        var expected = new Dictionary<(string Name, bool Error), List<double>>();
        for (var batch = 0; batch < 20; batch++)
        {
            var spans = new List<Span>();
            for (var i = 0; i < 50; i++)
            {
                var name = names[random.Next(names.Length)];
                var error = random.Next(10) == 0;
                var durationNs = (long)(Math.Exp(random.NextDouble() * 12) * 10_000);
                spans.Add(SpanBuilder.Create(SpanBuilder.TraceId(random), (ulong)random.NextInt64(), name, T0, durationNs,
                    status: error ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Ok));
                var key = (name, error);
                if (!expected.TryGetValue(key, out var list))
                {
                    expected[key] = list = [];
                }

                list.Add(durationNs / 1e9);
            }

            await connector.OnStoredAsync(SpanBuilder.Batch("cart", [.. spans]), default);
        }

        await connector.FlushAsync(default);

        Assert.Equal(expected.Count, _store.SeriesNamed(Calls).Count);
        foreach (var ((name, error), durations) in expected)
        {
            var status = error ? "STATUS_CODE_ERROR" : "STATUS_CODE_OK";
            var calls = Single(Calls, ("span_name", name), ("status_code", status));
            Assert.Equal(durations.Count, calls.Last.Value);
            Assert.Equal("cart", calls.Get("service_name"));
            Assert.Equal("SPAN_KIND_SERVER", calls.Get("span_kind"));

            var histogram = Single(Duration, ("span_name", name), ("status_code", status)).Last.Histogram!;
            Assert.Equal((ulong)durations.Count, histogram.Count);
            Assert.Equal(durations.Sum(), histogram.Sum, 9);
            Assert.Equal(3, histogram.Schema);
            var buckets = RecordedSample.AbsoluteBuckets(histogram);
            Assert.Equal(durations.Count, buckets.Values.Sum());
            foreach (var (index, count) in buckets)
            {
                // Bucket i holds (2^((i-1)/8), 2^(i/8)]: count directly from the span durations.
                var lower = Math.Pow(2, (index - 1) / 8.0);
                var upper = Math.Pow(2, index / 8.0);
                Assert.Equal(durations.Count(d => d > lower && d <= upper), count);
            }
        }
    }

    [Fact]
    public async Task Histogram_reduces_its_schema_when_buckets_exceed_the_maximum()
    {
        var options = new SpanMetricsOptions { MaxBuckets = 20 };
        var connector = Create(options);
        var durations = new List<double>();
        var spans = new List<Span>();
        var random = new Random(3);
        for (var i = 0; i < 2000; i++)
        {
            // 1 µs .. ~1000 s: 30 powers of two, 240 buckets at schema 3.
            var ns = (long)Math.Pow(2, 10 + (random.NextDouble() * 30));
            durations.Add(ns / 1e9);
            spans.Add(SpanBuilder.Create(SpanBuilder.TraceId(random), (ulong)i, "op", T0, ns));
        }

        await connector.OnStoredAsync(SpanBuilder.Batch("svc", [.. spans]), default);
        await connector.FlushAsync(default);

        var histogram = Assert.Single(_store.SeriesNamed(Duration)).Last.Histogram!;
        Assert.True(histogram.Schema < 3);
        var buckets = RecordedSample.AbsoluteBuckets(histogram);
        Assert.True(buckets.Keys.Max() - buckets.Keys.Min() + 1 <= 20);
        var factor = Math.Pow(2, -histogram.Schema);
        foreach (var (index, count) in buckets)
        {
            Assert.Equal(durations.Count(d => d > Math.Pow(2, (index - 1) * factor) && d <= Math.Pow(2, index * factor)), count);
        }

        Assert.Equal((ulong)2000, histogram.Count);
    }

    [Fact]
    public async Task Exemplars_carry_trace_ids_and_include_the_slowest_span_and_errors_of_each_interval()
    {
        var connector = Create(new SpanMetricsOptions { MaxExemplarsPerSeries = 2 });
        var random = new Random(11);
        var slowest = new List<string>();
        for (var interval = 0; interval < 3; interval++)
        {
            var spans = new List<Span>();
            var slowestNs = 0L;
            var slowestId = string.Empty;
            for (var i = 0; i < 300; i++)
            {
                var traceId = SpanBuilder.TraceId(random);
                var ns = random.NextInt64(1_000_000, 900_000_000);
                spans.Add(SpanBuilder.Create(traceId, (ulong)i + 1, "GET /x", T0 + (interval * 20_000_000_000L) + (i * 1_000_000L), ns));
                if (ns > slowestNs)
                {
                    slowestNs = ns;
                    slowestId = Convert.ToHexStringLower(traceId);
                }
            }

            slowest.Add(slowestId);
            await connector.OnStoredAsync(SpanBuilder.Batch("svc", [.. spans]), default);
            _time.Advance(TimeSpan.FromSeconds(15));
            await connector.FlushAsync(default);
        }

        var exemplars = Assert.Single(_store.SeriesNamed(Duration)).Exemplars;
        var traceIds = exemplars.Select(e => e.Labels.Single(l => l.Name == "trace_id").Value).ToHashSet();
        Assert.All(slowest, id => Assert.Contains(id, traceIds));
        Assert.All(exemplars, e => Assert.Equal(16, e.Labels.Single(l => l.Name == "span_id").Value.Length));
        Assert.True(exemplars.Count <= 3 * 4);

        // An error in a flood of faster successes is still kept, even though it is not the slowest.
        var errorTrace = SpanBuilder.TraceId(random);
        var flood = Enumerable.Range(0, 500).Select(i => SpanBuilder.Create(SpanBuilder.TraceId(random), (ulong)i, "GET /x", T0 + 100_000_000_000L, 50_000_000 + i)).ToList();
        flood.Insert(250, SpanBuilder.Create(errorTrace, 9, "GET /x", T0 + 100_000_000_000L, 1_000_000, status: Status.Types.StatusCode.Error));
        await connector.OnStoredAsync(SpanBuilder.Batch("svc", [.. flood]), default);
        _time.Advance(TimeSpan.FromSeconds(15));
        await connector.FlushAsync(default);
        var errorSeries = Single(Duration, ("status_code", "STATUS_CODE_ERROR"));
        Assert.Contains(errorSeries.Exemplars, e => e.Labels.Any(l => l.Value == Convert.ToHexStringLower(errorTrace)));
    }

    [Fact]
    public async Task A_late_batch_and_spans_ending_in_the_same_millisecond_still_give_their_exemplars()
    {
        var connector = Create(new SpanMetricsOptions { MaxExemplarsPerSeries = 0 });
        var random = new Random(3);

        // The first interval's slowest span ends at T0 + 10 s; the second interval brings a batch that arrived late,
        // whose slowest span ended at T0 + 4 s, before the first exemplar.
        var first = SpanBuilder.TraceId(random);
        await connector.OnStoredAsync(SpanBuilder.Batch("svc", [SpanBuilder.Create(first, 1, "GET /x", T0 + 9_000_000_000L, 1_000_000_000)]), default);
        _time.Advance(TimeSpan.FromSeconds(15));
        await connector.FlushAsync(default);
        var late = SpanBuilder.TraceId(random);
        await connector.OnStoredAsync(SpanBuilder.Batch("svc", [SpanBuilder.Create(late, 2, "GET /x", T0, 4_000_000_000)]), default);
        _time.Advance(TimeSpan.FromSeconds(15));
        await connector.FlushAsync(default);

        // Two spans ending within the same millisecond in two intervals: both are exemplars.
        var sameMs = new[] { SpanBuilder.TraceId(random), SpanBuilder.TraceId(random) };
        for (var i = 0; i < 2; i++)
        {
            await connector.OnStoredAsync(SpanBuilder.Batch("svc", [SpanBuilder.Create(sameMs[i], 3 + (ulong)i, "GET /x", T0 + 20_000_000_000L, 2_000_000_000 + (i * 100_000))]), default);
            _time.Advance(TimeSpan.FromSeconds(15));
            await connector.FlushAsync(default);
        }

        var exemplars = Assert.Single(_store.SeriesNamed(Duration)).Exemplars;
        var traceIds = exemplars.Select(e => e.Labels.Single(l => l.Name == "trace_id").Value).ToList();
        Assert.Equal(new[] { first, late, sameMs[0], sameMs[1] }.Select(id => Convert.ToHexStringLower(id)).Order(), traceIds.Order());
    }

    [Fact]
    public async Task Hundred_thousand_routes_produce_at_most_the_limit_of_series_plus_one_overflow_series()
    {
        var connector = Create(new SpanMetricsOptions { CardinalityLimit = 1000 });
        var random = new Random(5);
        for (var batch = 0; batch < 100; batch++)
        {
            var spans = new Span[1000];
            for (var i = 0; i < spans.Length; i++)
            {
                spans[i] = SpanBuilder.Create(SpanBuilder.TraceId(random), (ulong)i, "GET /users/" + ((batch * 1000) + i), T0, 1_000_000);
            }

            await connector.OnStoredAsync(SpanBuilder.Batch("api", spans), default);
        }

        await connector.FlushAsync(default);

        Assert.Equal(1000, connector.SeriesCount);
        var calls = _store.SeriesNamed(Calls);
        Assert.Equal(1001, calls.Count);
        Assert.Equal(1001, _store.SeriesNamed(Duration).Count);
        var overflow = Single(Calls, ("otel_metric_overflow", "true"));
        Assert.Equal(99_000, overflow.Last.Value);
        Assert.Equal(100_000, calls.Sum(c => c.Last.Value));
        Assert.Equal(99_000, _meters.Total("tracelink.spanmetrics.overflow_updates"));
    }

    [Fact]
    public async Task Labels_follow_the_collector_spanmetrics_names_and_dimension_defaults()
    {
        var options = new SpanMetricsOptions();
        options.Dimensions.Add(new SpanMetricsDimension("deployment.environment", "prod"));
        var connector = Create(options);
        var span = SpanBuilder.Create(new byte[16], 1, "GET /a", T0, 5_000_000, Span.Types.SpanKind.Client, Status.Types.StatusCode.Error,
            ("http.request.method", "GET"), ("http.response.status_code", 503L));
        var bare = SpanBuilder.Create(new byte[16], 2, "consume", T0, 5_000_000, Span.Types.SpanKind.Consumer);

        await connector.OnStoredAsync(SpanBuilder.Batch("orders", span, bare), default);
        await connector.FlushAsync(default);

        var full = Single(Calls, ("span_name", "GET /a"));
        Assert.Equal(
            ["__name__", "deployment_environment", "http_request_method", "http_response_status_code", "service_name", "span_kind", "span_name", "status_code"],
            full.Labels.Select(l => l.Name));
        Assert.Equal("SPAN_KIND_CLIENT", full.Get("span_kind"));
        Assert.Equal("STATUS_CODE_ERROR", full.Get("status_code"));
        Assert.Equal("503", full.Get("http_response_status_code"));
        Assert.Equal("prod", full.Get("deployment_environment"));
        var minimal = Single(Calls, ("span_name", "consume"));
        Assert.Equal(["__name__", "deployment_environment", "service_name", "span_kind", "span_name", "status_code"], minimal.Labels.Select(l => l.Name));
        Assert.Equal("STATUS_CODE_UNSET", minimal.Get("status_code"));
    }

    [Fact]
    public async Task First_histogram_sample_is_a_counter_reset_and_later_ones_are_not()
    {
        var connector = Create(new SpanMetricsOptions());
        await connector.OnStoredAsync(SpanBuilder.Batch("s", SpanBuilder.Create(new byte[16], 1, "a", T0, 10)), default);
        await connector.FlushAsync(default);
        await connector.OnStoredAsync(SpanBuilder.Batch("s", SpanBuilder.Create(new byte[16], 2, "a", T0, 10)), default);
        await connector.FlushAsync(default);

        var samples = Assert.Single(_store.SeriesNamed(Duration)).Samples;
        Assert.Equal(CounterResetHint.CounterReset, samples[0].Histogram!.CounterResetHint);
        Assert.Equal(CounterResetHint.NotCounterReset, samples[1].Histogram!.CounterResetHint);
        Assert.True(samples[1].TimestampMs > samples[0].TimestampMs);
        Assert.Equal((ulong)2, samples[1].Histogram!.Count);
    }

    [Fact]
    public async Task Periodic_flush_writes_samples_at_the_configured_interval()
    {
        var connector = Create(new SpanMetricsOptions { FlushInterval = TimeSpan.FromMilliseconds(20) }, TimeProvider.System);
        await connector.OnStoredAsync(SpanBuilder.Batch("s", SpanBuilder.Create(new byte[16], 1, "a", T0, 10)), default);
        connector.Start();
        for (var i = 0; i < 200 && _store.Commits < 2; i++)
        {
            await Task.Delay(20);
        }

        await connector.DisposeAsync();
        Assert.True(_store.Commits >= 2);
        Assert.Equal(1, Assert.Single(_store.SeriesNamed(Calls)).Last.Value);
    }

    [Fact]
    public void Invalid_options_are_rejected_with_a_message()
    {
        var error = Assert.Throws<ArgumentException>(() => Create(new SpanMetricsOptions { CardinalityLimit = 0 }));
        Assert.Contains("cardinality limit", error.Message, StringComparison.Ordinal);
    }

    private SpanMetricsConnector Create(SpanMetricsOptions options, TimeProvider? time = null)
        => new(_store, options, _meters, time ?? _time);

    private RecordedSeries Single(string metric, params (string Name, string Value)[] labels)
        => Assert.Single(_store.SeriesNamed(metric), s => labels.All(l => s.Get(l.Name) == l.Value));
}
