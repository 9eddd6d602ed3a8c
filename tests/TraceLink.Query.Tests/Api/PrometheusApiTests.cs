using System.Net;
using System.Text.Json;

using TraceLink.Query.PromQL.Engine;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.Tests.Api;

public sealed class PrometheusApiTests
{
    private static readonly Label[] UpA = [new("__name__", "up"), new("instance", "a"), new("job", "node")];
    private static readonly Label[] UpB = [new("__name__", "up"), new("instance", "b"), new("job", "node")];

    private static InMemorySeriesStore Store()
    {
        var s = new InMemorySeriesStore();
        for (var i = 0; i <= 20; i++)
        {
            s.Add(UpA, 1_700_000_000_000 + (i * 15_000), i);
            s.Add(UpB, 1_700_000_000_000 + (i * 15_000), 1);
        }

        return s;
    }

    private static async Task<(HttpStatusCode Status, string Body)> Get(HttpClient c, string url)
    {
        var r = await c.GetAsync(new Uri(url, UriKind.Relative));
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Instant_query_returns_prometheus_vector_json()
    {
        await using var host = await ApiHost.StartAsync(Store());
        var (status, body) = await Get(host.Client, "/api/v1/query?query=up%7Binstance%3D%22a%22%7D&time=1700000060.5");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"__name__\":\"up\",\"instance\":\"a\",\"job\":\"node\"},\"value\":[1700000060.500,\"4\"]}]}}", body);
    }

    [Fact]
    public async Task Range_query_by_form_post_returns_sorted_matrix()
    {
        await using var host = await ApiHost.StartAsync(Store());
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["query"] = "up * 2",
            ["start"] = "2023-11-14T22:13:20Z",
            ["end"] = "1700000030",
            ["step"] = "15s",
        });
        var r = await host.Client.PostAsync(new Uri("/api/v1/query_range", UriKind.Relative), form);
        var body = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[" +
                     "{\"metric\":{\"instance\":\"a\",\"job\":\"node\"},\"values\":[[1700000000,\"0\"],[1700000015,\"2\"],[1700000030,\"4\"]]}," +
                     "{\"metric\":{\"instance\":\"b\",\"job\":\"node\"},\"values\":[[1700000000,\"2\"],[1700000015,\"2\"],[1700000030,\"2\"]]}]}}", body);
    }

    [Fact]
    public async Task Scalar_and_string_results_use_two_element_arrays()
    {
        await using var host = await ApiHost.StartAsync(Store());
        var (_, scalar) = await Get(host.Client, "/api/v1/query?query=1%2B1&time=4");
        Assert.Equal("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[4,\"2\"]}}", scalar);
        var (_, str) = await Get(host.Client, "/api/v1/query?query=%22hi%22&time=4.001");
        Assert.Equal("{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":[4.001,\"hi\"]}}", str);
    }

    [Fact]
    public async Task Parse_error_returns_400_bad_data_with_position()
    {
        await using var host = await ApiHost.StartAsync(Store());
        var (status, body) = await Get(host.Client, "/api/v1/query?query=sum(up&time=1");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal("error", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal("bad_data", doc.RootElement.GetProperty("errorType").GetString());
        Assert.StartsWith("invalid parameter \"query\": 1:7: parse error:", doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_timestamp_and_step_return_400()
    {
        await using var host = await ApiHost.StartAsync(Store());
        var (s1, b1) = await Get(host.Client, "/api/v1/query?query=up&time=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, s1);
        Assert.Contains("invalid parameter \\u0022time\\u0022: cannot parse \\u0022yesterday\\u0022 to a valid timestamp", b1, StringComparison.Ordinal);
        var (s2, _) = await Get(host.Client, "/api/v1/query_range?query=up&start=10&end=20&step=0");
        Assert.Equal(HttpStatusCode.BadRequest, s2);
        var (s3, _) = await Get(host.Client, "/api/v1/query_range?query=up&start=20&end=10&step=1");
        Assert.Equal(HttpStatusCode.BadRequest, s3);
        var (s4, b4) = await Get(host.Client, "/api/v1/query_range?query=up&start=0&end=100000&step=1");
        Assert.Equal(HttpStatusCode.BadRequest, s4);
        Assert.Contains("exceeded maximum resolution of 11,000 points", b4, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_many_samples_returns_422_execution_and_later_queries_still_work()
    {
        await using var host = await ApiHost.StartAsync(Store(), new PromQLOptions { MaxSamples = 10 });
        var (status, body) = await Get(host.Client, "/api/v1/query_range?query=up&start=1700000000&end=1700000300&step=15");
        Assert.Equal((HttpStatusCode)422, status);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal("execution", doc.RootElement.GetProperty("errorType").GetString());
        Assert.Contains("too many samples", doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        var (ok, _) = await Get(host.Client, "/api/v1/query?query=up&time=1700000100");
        Assert.Equal(HttpStatusCode.OK, ok);
    }

    [Fact]
    public async Task Query_timeout_returns_503_timeout_and_later_queries_still_work()
    {
        var slow = new SlowStore(Store(), TimeSpan.FromMilliseconds(30));
        await using var host = await ApiHost.StartAsync(slow);
        var (status, body) = await Get(host.Client, "/api/v1/query_range?query=up%2Bup%2Bup&start=1700000000&end=1700000300&step=15&timeout=0.01");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        using var doc = JsonDocument.Parse(body);
        Assert.Equal("timeout", doc.RootElement.GetProperty("errorType").GetString());
        var (ok, _) = await Get(host.Client, "/api/v1/query?query=up&time=1700000100");
        Assert.Equal(HttpStatusCode.OK, ok);
    }

    [Fact]
    public async Task Native_histogram_is_returned_with_buckets_rules()
    {
        var s = new InMemorySeriesStore();
        s.Add([new("__name__", "lat")], 1000, new FloatHistogram
        {
            Schema = 0,
            ZeroThreshold = 0.001,
            ZeroCount = 2,
            Count = 10,
            Sum = 20.5,
            PositiveSpans = [new BucketSpan(0, 2)],
            PositiveBuckets = [3, 4],
            NegativeSpans = [new BucketSpan(1, 1)],
            NegativeBuckets = [1],
        });
        await using var host = await ApiHost.StartAsync(s);
        var (_, body) = await Get(host.Client, "/api/v1/query?query=lat&time=1");
        Assert.Equal("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"__name__\":\"lat\"},\"histogram\":[1,{\"count\":\"10\",\"sum\":\"20.5\",\"buckets\":[" +
                     "[1,\"-2\",\"-1\",\"1\"],[3,\"-0.001\",\"0.001\",\"2\"],[0,\"0.5\",\"1\",\"3\"],[0,\"1\",\"2\",\"4\"]]}]}]}}", body);
        var (_, range) = await Get(host.Client, "/api/v1/query_range?query=lat&start=1&end=2&step=1");
        Assert.Contains("\"histograms\":[[1,{\"count\":\"10\"", range, StringComparison.Ordinal);
        Assert.DoesNotContain("\"values\"", range, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Series_labels_and_label_values_honour_match_and_limit()
    {
        var store = Store();
        store.Add([new("__name__", "other"), new("zone", "z1")], 1_700_000_000_000, 1);
        await using var host = await ApiHost.StartAsync(store);
        var (_, series) = await Get(host.Client, "/api/v1/series?match[]=up&start=1700000000&end=1700000300");
        Assert.Equal("{\"status\":\"success\",\"data\":[{\"__name__\":\"up\",\"instance\":\"a\",\"job\":\"node\"},{\"__name__\":\"up\",\"instance\":\"b\",\"job\":\"node\"}]}", series);
        var (noMatch, _) = await Get(host.Client, "/api/v1/series");
        Assert.Equal(HttpStatusCode.BadRequest, noMatch);
        var (_, labels) = await Get(host.Client, "/api/v1/labels");
        Assert.Equal("{\"status\":\"success\",\"data\":[\"__name__\",\"instance\",\"job\",\"zone\"]}", labels);
        var (_, matched) = await Get(host.Client, "/api/v1/labels?match[]=other");
        Assert.Equal("{\"status\":\"success\",\"data\":[\"__name__\",\"zone\"]}", matched);
        var (_, values) = await Get(host.Client, "/api/v1/label/instance/values?limit=1");
        Assert.Equal("{\"status\":\"success\",\"data\":[\"a\"],\"warnings\":[\"results truncated due to limit\"]}", values);
        var (_, names) = await Get(host.Client, "/api/v1/label/__name__/values");
        Assert.Equal("{\"status\":\"success\",\"data\":[\"other\",\"up\"]}", names);
        var (_, none) = await Get(host.Client, "/api/v1/label/job/values?match[]=nothing");
        Assert.Equal("{\"status\":\"success\",\"data\":[]}", none);
    }

    [Fact]
    public async Task Exemplars_buildinfo_metadata_and_format_query_have_prometheus_shapes()
    {
        var store = Store();
        var app = store.Appender();
        app.AppendExemplar(UpA, new Exemplar([new Label("trace_id", "abc")], 6, 1_600_096_945_479));
        await app.CommitAsync(CancellationToken.None);
        await using var host = await ApiHost.StartAsync(store);
        var (_, ex) = await Get(host.Client, "/api/v1/query_exemplars?query=rate(up%5B5m%5D)&start=1600000000&end=1700000000");
        Assert.Equal("{\"status\":\"success\",\"data\":[{\"seriesLabels\":{\"__name__\":\"up\",\"instance\":\"a\",\"job\":\"node\"},\"exemplars\":[{\"labels\":{\"trace_id\":\"abc\"},\"value\":\"6\",\"timestamp\":1600096945.479}]}]}", ex);
        var (_, bi) = await Get(host.Client, "/api/v1/status/buildinfo");
        using (var doc = JsonDocument.Parse(bi))
        {
            Assert.Equal("2.50.1", doc.RootElement.GetProperty("data").GetProperty("version").GetString());
            Assert.False(doc.RootElement.GetProperty("data").TryGetProperty("features", out _));
        }

        var (_, md) = await Get(host.Client, "/api/v1/metadata");
        Assert.Equal("{\"status\":\"success\",\"data\":{}}", md);
        var (_, fq) = await Get(host.Client, "/api/v1/format_query?query=foo/bar");
        Assert.Equal("{\"status\":\"success\",\"data\":\"foo / bar\"}", fq);
    }

    [Fact]
    public async Task Label_values_is_get_only()
    {
        await using var host = await ApiHost.StartAsync(Store());
        using var empty = new StringContent(string.Empty);
        var r = await host.Client.PostAsync(new Uri("/api/v1/label/job/values", UriKind.Relative), empty);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, r.StatusCode);
    }

    /// <summary>A store whose iterators are slow, to make a query exceed its timeout.</summary>
    private sealed class SlowStore(ISeriesStore inner, TimeSpan delay) : ISeriesStore
    {
        public IEnumerable<ISeries> Select(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
        {
            foreach (var s in inner.Select(minTimeMs, maxTimeMs, matchers))
            {
                Thread.Sleep(delay);
                yield return s;
            }
        }

        public IReadOnlyList<string> LabelNames(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers) => inner.LabelNames(minTimeMs, maxTimeMs, matchers);

        public IReadOnlyList<string> LabelValues(string name, long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers) => inner.LabelValues(name, minTimeMs, maxTimeMs, matchers);

        public ISampleAppender Appender() => inner.Appender();

        public IReadOnlyList<(IReadOnlyList<Label> Series, IReadOnlyList<Exemplar> Exemplars)> Exemplars(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers) =>
            inner.Exemplars(minTimeMs, maxTimeMs, matchers);
    }
}
