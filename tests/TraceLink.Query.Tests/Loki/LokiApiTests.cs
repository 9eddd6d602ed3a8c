using System.Net;
using System.Text.Json;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

using TraceLink.Query.Loki;
using TraceLink.Storage.Logs;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.Tests.Loki;

public sealed class LokiApiTests : IAsyncLifetime, IDisposable
{
    private const long T0 = 1_700_000_000_000_000_000;
    private const string TraceHex = "5b8efff798038103d269b633813fc60c";
    private const string SpanHex = "eee19b7ec3c1b174";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tracelink-loki-" + Guid.NewGuid().ToString("N"));
    private LogStore _store = null!;
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _store = LogStore.Open(new LogStoreOptions { Directory = _directory });
        var cartError = _store.GetOrAddStream([new Label("service_name", "cart"), new Label("level", "error"), new Label("source", "span")]);
        var cartInfo = _store.GetOrAddStream([new Label("service_name", "cart"), new Label("level", "info"), new Label("source", "span")]);
        var shop = _store.GetOrAddStream([new Label("service_name", "shop"), new Label("level", "info"), new Label("source", "span")]);
        await _store.AppendAsync(
            [
                new LogRecord(cartInfo, T0 + 1_000_000_000, default, default, "method=GET route=/cart status=200 duration=3ms"),
                new LogRecord(cartError, T0 + 2_000_000_000, Convert.FromHexString(TraceHex), Convert.FromHexString(SpanHex), $"method=POST route=/cart status=500 duration=9ms trace_id={TraceHex} span_id={SpanHex}"),
                new LogRecord(cartInfo, T0 + 3_000_000_000, default, default, "method=GET route=/health status=200 duration=1ms"),
                new LogRecord(shop, T0 + 4_000_000_000, default, default, "method=GET route=/shop status=200 duration=2ms"),
            ],
            default);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapLokiApi(_store, new LokiOptions { MaxEntriesLimit = 1000 }, new FixedTime(DateTimeOffset.FromUnixTimeMilliseconds((T0 / 1_000_000) + 60_000)));
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
    }

    public void Dispose() => _client?.Dispose();

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Query_range_returns_Loki_streams_json_with_structured_metadata_as_stream_labels()
    {
        var body = await GetStringAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString("{service_name=\"cart\", level=~\"err.*\"}")}&start={T0}&end={T0 + 10_000_000_000}");

        var expected = $$$$"""
            {"status":"success","data":{"resultType":"streams","result":[{"stream":{"level":"error","service_name":"cart","source":"span","span_id":"{{{{SpanHex}}}}","trace_id":"{{{{TraceHex}}}}"},"values":[["{{{{T0 + 2_000_000_000}}}}","method=POST route=/cart status=500 duration=9ms trace_id={{{{TraceHex}}}} span_id={{{{SpanHex}}}}"]]}],"stats":{}}}
            """;
        Assert.Equal(expected, body);
    }

    [Fact]
    public async Task Categorize_labels_flag_puts_trace_ids_in_structured_metadata()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/loki/api/v1/query_range?query={Uri.EscapeDataString("{level=\"error\"}")}&start={T0}&end={T0 + 10_000_000_000}");
        request.Headers.Add("X-Loki-Response-Encoding-Flags", "categorize-labels");
        using var response = await _client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        var expected = $$$$"""
            {"status":"success","data":{"resultType":"streams","result":[{"stream":{"level":"error","service_name":"cart","source":"span"},"values":[["{{{{T0 + 2_000_000_000}}}}","method=POST route=/cart status=500 duration=9ms trace_id={{{{TraceHex}}}} span_id={{{{SpanHex}}}}",{"structuredMetadata":{"span_id":"{{{{SpanHex}}}}","trace_id":"{{{{TraceHex}}}}"}}]]}],"stats":{},"encodingFlags":["categorize-labels"]}}
            """;
        Assert.Equal(expected, body);
    }

    [Fact]
    public async Task Line_filters_direction_and_limit_select_the_entries()
    {
        var backward = await ValuesAsync("{service_name=\"cart\"} |= \"GET\" != \"health\"", $"&start={T0}&end={T0 + 10_000_000_000}");
        Assert.Equal(["method=GET route=/cart status=200 duration=3ms"], backward.Select(v => v.Line));

        var newestTwo = await ValuesAsync("{source=\"span\"} |~ \"status=[25]00\"", $"&start={T0}&end={T0 + 10_000_000_000}&limit=2");
        Assert.Equal([T0 + 4_000_000_000, T0 + 3_000_000_000], newestTwo.Select(v => v.Ns));

        var oldestTwo = await ValuesAsync("{source=\"span\"} !~ \"status=5..\"", $"&start={T0}&end={T0 + 10_000_000_000}&limit=2&direction=forward");
        Assert.Equal([T0 + 1_000_000_000, T0 + 3_000_000_000], oldestTwo.Select(v => v.Ns));
    }

    [Fact]
    public async Task Start_and_end_accept_nanoseconds_seconds_and_RFC3339_and_end_is_exclusive()
    {
        var rfc = DateTimeOffset.FromUnixTimeSeconds((T0 / 1_000_000_000) + 2).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var seconds = (T0 / 1_000_000_000) + 4;
        var values = await ValuesAsync("{source=\"span\"}", $"&start={Uri.EscapeDataString(rfc)}&end={seconds}");
        Assert.Equal([T0 + 3_000_000_000, T0 + 2_000_000_000], values.Select(v => v.Ns));

        var fractional = await ValuesAsync("{source=\"span\"}", $"&start={(T0 / 1_000_000_000) + 0.5}&end={T0 + 1_500_000_000}");
        Assert.Equal([T0 + 1_000_000_000], fractional.Select(v => v.Ns));

        // Default range is the hour before "now" (T0 + 60 s here): everything.
        Assert.Equal(4, (await ValuesAsync("{source=\"span\"}", string.Empty)).Count);
    }

    [Fact]
    public async Task A_trace_id_filter_finds_the_lines_of_that_trace()
    {
        var values = await ValuesAsync($"{{source=\"span\"}} |= \"trace_id={TraceHex}\"", $"&start={T0}&end={T0 + 10_000_000_000}");
        Assert.Equal([T0 + 2_000_000_000], values.Select(v => v.Ns));
    }

    [Fact]
    public async Task Post_form_queries_work_like_get()
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["query"] = "{service_name=\"shop\"}",
            ["start"] = T0.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["end"] = (T0 + 10_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var response = await _client.PostAsync("/loki/api/v1/query_range", form);
        Assert.Contains("route=/shop", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Labels_and_label_values_use_the_Loki_shape()
    {
        Assert.Equal("""{"status":"success","data":["level","service_name","source"]}""", await GetStringAsync($"/loki/api/v1/labels?start={T0}&end={T0 + 10_000_000_000}"));
        Assert.Equal("""{"status":"success","data":["cart","shop"]}""", await GetStringAsync($"/loki/api/v1/label/service_name/values?start={T0}&end={T0 + 10_000_000_000}"));
        Assert.Equal(
            """{"status":"success","data":["error","info"]}""",
            await GetStringAsync($"/loki/api/v1/label/level/values?start={T0}&end={T0 + 10_000_000_000}&query={Uri.EscapeDataString("{service_name=\"cart\"}")}"));
        Assert.Equal("""{"status":"success","data":[]}""", await GetStringAsync($"/loki/api/v1/labels?start={T0 + 20_000_000_000}&end={T0 + 30_000_000_000}"));
    }

    [Fact]
    public async Task Instant_queries_serve_log_selectors_and_the_Grafana_health_check()
    {
        var health = JsonDocument.Parse(await GetStringAsync("/loki/api/v1/query?query=" + Uri.EscapeDataString("vector(1)+vector(1)")));
        var sample = health.RootElement.GetProperty("data").GetProperty("result")[0];
        Assert.Equal("vector", health.RootElement.GetProperty("data").GetProperty("resultType").GetString());
        Assert.Equal("2", sample.GetProperty("value")[1].GetString());

        var logs = JsonDocument.Parse(await GetStringAsync($"/loki/api/v1/query?query={Uri.EscapeDataString("{service_name=\"shop\"}")}&time={T0 + 5_000_000_000}"));
        Assert.Equal("streams", logs.RootElement.GetProperty("data").GetProperty("resultType").GetString());
        Assert.Equal("method=GET route=/shop status=200 duration=2ms", logs.RootElement.GetProperty("data").GetProperty("result")[0].GetProperty("values")[0][1].GetString());
    }

    [Theory]
    [InlineData("query={service_name=\"cart\"", "parse error at line 1, col 21: syntax error: unexpected end of input, expecting }")]
    [InlineData("query={a=\"b\"}&limit=5000", "max entries limit per query exceeded, limit > max_entries_limit (5000 > 1000)")]
    [InlineData("query={a=\"b\"}&direction=sideways", "invalid direction 'sideways'")]
    [InlineData("query={a=\"b\"}&start=yesterday", "cannot parse \"yesterday\" to a valid timestamp")]
    [InlineData("query={a=\"b\"}&start=1700000010&end=1700000000", "end timestamp must not be before or equal to start time")]
    public async Task Bad_requests_get_400_with_a_plain_text_message(string parameters, string message)
    {
        using var response = await _client.GetAsync("/loki/api/v1/query_range?" + string.Join('&', parameters.Split('&').Select(p => p[..(p.IndexOf('=', StringComparison.Ordinal) + 1)] + Uri.EscapeDataString(p[(p.IndexOf('=', StringComparison.Ordinal) + 1)..]))));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(message, await response.Content.ReadAsStringAsync());
    }

    private async Task<string> GetStringAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        return body;
    }

    private async Task<List<(long Ns, string Line)>> ValuesAsync(string query, string parameters)
    {
        using var document = JsonDocument.Parse(await GetStringAsync("/loki/api/v1/query_range?query=" + Uri.EscapeDataString(query) + parameters));
        var values = new List<(long, string)>();
        foreach (var stream in document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            foreach (var value in stream.GetProperty("values").EnumerateArray())
            {
                values.Add((long.Parse(value[0].GetString()!, System.Globalization.CultureInfo.InvariantCulture), value[1].GetString()!));
            }
        }

        // Streams are separate arrays; order across them by the query's direction as Grafana does.
        return values;
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
