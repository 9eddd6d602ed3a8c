using System.Net;
using System.Text.Json.Nodes;

using TraceLink.Storage.Spans;

namespace TraceLink.Query.Tests.Tempo;

public sealed class SearchTests(TempoApiFixture fixture) : IClassFixture<TempoApiFixture>
{
    private static readonly string[] s_allowedMetrics =
        ["inspectedTraces", "inspectedBytes", "totalBlocks", "completedJobs", "totalJobs", "totalBlockBytes", "inspectedSpans"];

    private readonly HttpClient _client = fixture.Client;

    private async Task<JsonObject> SearchAsync(string query)
    {
        using var response = await _client.GetAsync("/api/search?" + query);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!.AsObject();
    }

    private static string[] TraceIds(JsonObject result) =>
        result["traces"]!.AsArray().Select(t => t!["traceID"]!.GetValue<string>()).ToArray();

    private static string Q(string traceQl) => "q=" + Uri.EscapeDataString(traceQl);

    [Fact]
    public async Task TraceQL_search_result_has_the_exact_tempo_shape()
    {
        var result = await SearchAsync(Q("{resource.service.name=\"checkout\" && status=error}"));

        var trace = Assert.Single(result["traces"]!.AsArray())!;
        const string SpanSet =
            """{"spans":[{"spanID":"c0ffee0000000001","name":"POST /orders","startTimeUnixNano":"1717999400000000000","durationNanos":"250000000","attributes":[{"key":"service.name","value":{"stringValue":"checkout"}},{"key":"status","value":{"stringValue":"error"}}]}],"matched":1}""";
        Assert.Equal(
            """{"traceID":"7a9bdcec1aa40910","rootServiceName":"checkout","rootTraceName":"POST /orders","startTimeUnixNano":"1717999400000000000","durationMs":250,"spanSet":"""
            + SpanSet + ""","spanSets":[""" + SpanSet + """],"serviceStats":{"checkout":{"spanCount":2,"errorCount":1}}}""",
            trace.ToJsonString());
        Assert.All(result["metrics"]!.AsObject(), metric => Assert.Contains(metric.Key, s_allowedMetrics));
    }

    [Fact]
    public async Task Service_equality_uses_the_service_index()
    {
        var lookupsBefore = fixture.Store.Lookups.Count;

        var result = await SearchAsync(Q("{ resource.service.name = \"cart\" }"));

        Assert.Equal(["c3", "b0000000000000000000000000000002"], TraceIds(result));
        Assert.Contains((IndexKind.Service, "cart"), fixture.Store.Lookups.Skip(lookupsBefore));
    }

    [Fact]
    public async Task Kind_equality_uses_the_kind_index()
    {
        var lookupsBefore = fixture.Store.Lookups.Count;

        var result = await SearchAsync(Q("{ kind = client }"));

        Assert.Equal(["7a9bdcec1aa40910"], TraceIds(result));
        Assert.Contains((IndexKind.Kind, "client"), fixture.Store.Lookups.Skip(lookupsBefore));
    }

    [Fact]
    public async Task Empty_query_returns_every_trace_in_the_default_window_newest_first()
    {
        var result = await SearchAsync("");

        // D is three days old: outside the default 24h window.
        Assert.Equal(["c3", "b0000000000000000000000000000002", "7a9bdcec1aa40910"], TraceIds(result));
        Assert.Equal("<root span not yet received>", result["traces"]![0]!["rootServiceName"]!.GetValue<string>());
        Assert.Null(result["traces"]![0]!["rootTraceName"]);
    }

    [Fact]
    public async Task Limit_keeps_the_newest_traces()
    {
        Assert.Equal(["c3"], TraceIds(await SearchAsync("q=%7B%7D&limit=1")));
        Assert.Equal(["c3", "b0000000000000000000000000000002"], TraceIds(await SearchAsync("limit=2")));
    }

    [Fact]
    public async Task Explicit_start_and_end_find_old_traces()
    {
        const long Day = 86_400;
        var result = await SearchAsync(
            $"{Q("{ resource.service.name = \"checkout\" }")}&start={TempoApiFixture.NowSeconds - (4 * Day)}&end={TempoApiFixture.NowSeconds - (2 * Day)}");

        Assert.Equal(["d4"], TraceIds(result));
    }

    [Theory]
    [InlineData("tags=service.name%3Dcheckout", "7a9bdcec1aa40910")]
    [InlineData("tags=name%3D%22GET%20%2Fcart%22", "b0000000000000000000000000000002")]
    [InlineData("tags=http.status_code%3D500", "7a9bdcec1aa40910")]
    [InlineData("tags=service.name%3Dcart%20http.status_code%3D200", "b0000000000000000000000000000002")]
    [InlineData("tags=status.code%3Derror", "7a9bdcec1aa40910")]
    [InlineData("tags=error%3Dtrue", "7a9bdcec1aa40910")]
    [InlineData("minDuration=100ms", "7a9bdcec1aa40910")]
    [InlineData("maxDuration=10ms", "c3")]
    [InlineData("tags=service.name%3Dcart&minDuration=10ms&maxDuration=1s", "b0000000000000000000000000000002")]
    public async Task Legacy_tag_and_duration_search_finds_the_matching_trace(string query, string traceId)
    {
        Assert.Equal([traceId], TraceIds(await SearchAsync(query)));
    }

    [Theory]
    [InlineData("{ name = \"GET /cart\" }", "b0000000000000000000000000000002")]
    [InlineData("{ duration > 100ms }", "7a9bdcec1aa40910")]
    [InlineData("{ span.http.status_code >= 500 }", "7a9bdcec1aa40910")]
    [InlineData("{ .http.status_code = 200 && status = ok }", "b0000000000000000000000000000002")]
    [InlineData("{ kind = client }", "7a9bdcec1aa40910")]
    [InlineData("{ name =~ \"GET /c.*\" }", "b0000000000000000000000000000002")]
    [InlineData("{ name !~ \"GET.*|POST.*\" }", "7a9bdcec1aa40910")]
    [InlineData("{ name =~ \"GET\" }", "")]
    [InlineData("{ rootServiceName = \"checkout\" && traceDuration > 200ms }", "7a9bdcec1aa40910")]
    [InlineData("{ rootName = \"GET /cart\" }", "b0000000000000000000000000000002")]
    [InlineData("{ statusMessage = \"upstream timeout\" }", "7a9bdcec1aa40910")]
    [InlineData("{ span.tags = \"y\" }", "b0000000000000000000000000000002")]
    [InlineData("{ .db.system != nil }", "7a9bdcec1aa40910")]
    [InlineData("{ .http.status_code = \"500\" }", "")]
    [InlineData("{ .missing != \"x\" }", "")]
    [InlineData("{ !(resource.service.name = \"cart\") && duration < 1s }", "7a9bdcec1aa40910")]
    [InlineData("{ name = \"POST /orders\" } && { kind = client }", "7a9bdcec1aa40910")]
    [InlineData("{ name = \"GET /cart\" } && { kind = client }", "")]
    [InlineData("{ name = \"GET /cart\" } || { name = \"GET /items\" }", "c3,b0000000000000000000000000000002")]
    [InlineData("{ resource.service.name = \"cart\" || resource.service.name = \"checkout\" } && { status = error }", "7a9bdcec1aa40910")]
    public async Task TraceQL_search_matches_like_tempo(string traceQl, string expected)
    {
        var expectedIds = expected.Length == 0 ? [] : expected.Split(',');
        Assert.Equal(expectedIds, TraceIds(await SearchAsync(Q(traceQl))));
    }

    [Fact]
    public async Task Spss_truncates_spans_but_matched_counts_all()
    {
        var result = await SearchAsync(Q("{ duration > 100ms }") + "&spss=1");

        var spanSet = result["traces"]![0]!["spanSets"]![0]!;
        Assert.Single(spanSet["spans"]!.AsArray());
        Assert.Equal(2, spanSet["matched"]!.GetValue<int>());
        Assert.Equal(spanSet.ToJsonString(), result["traces"]![0]!["spanSet"]!.ToJsonString());
    }

    [Fact]
    public async Task Select_adds_requested_attributes_to_spans()
    {
        var result = await SearchAsync(Q("{ kind = client } | select(span.db.system)"));

        var span = result["traces"]![0]!["spanSets"]![0]!["spans"]![0]!;
        Assert.Equal(
            """[{"key":"kind","value":{"stringValue":"client"}},{"key":"db.system","value":{"stringValue":"postgresql"}},{"key":"service.name","value":{"stringValue":"checkout"}}]""",
            span["attributes"]!.ToJsonString());
    }

    [Theory]
    [InlineData("q=%7B%20.a%20%3D%20%7D", "invalid TraceQL query: parse error at line 1, col 8: syntax error: unexpected CLOSE_BRACE")]
    [InlineData("q=%7B%7D&tags=a%3Db", "invalid request: can't specify tags and q in the same query")]
    [InlineData("start=20&end=10", "http parameter start must be before end. received start=20 end=10")]
    [InlineData("start=1718000000000&end=1718000001000", "invalid start: strconv.ParseUint: parsing \"1718000000000\": value out of range")]
    [InlineData("start=1&end=1000000", "range specified by start and end exceeds 168h0m0s. received start=1 end=1000000")]
    [InlineData("limit=0", "invalid limit: must be a positive number")]
    [InlineData("limit=300000", "limit 300000 exceeds max limit 262144")]
    [InlineData("spss=101", "spans per span set exceeds 100. received 101")]
    [InlineData("minDuration=fast", "invalid minDuration: time: invalid duration \"fast\"")]
    [InlineData("minDuration=2s&maxDuration=1s", "invalid maxDuration: must be greater than minDuration")]
    public async Task Bad_search_requests_return_400_with_tempo_messages(string query, string message)
    {
        using var response = await _client.GetAsync("/api/search?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_parameters_are_ignored()
    {
        var result = await SearchAsync(Q("{ name = \"GET /cart\" }") + "&skip_ast_transformations=true&foo=bar");
        Assert.Equal(["b0000000000000000000000000000002"], TraceIds(result));
    }
}
