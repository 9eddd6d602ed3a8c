using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;
using TraceLink.Server.Tests.Support;

namespace TraceLink.Server.Tests;

/// <summary>Bad input, health endpoints, self-metrics and the command line, against the real server process.</summary>
public sealed class ServerBasicsTests : IAsyncLifetime, IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("tracelink-basics-").FullName;
    private ServerProcess _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(_data, "--max-request-bytes", "65536");
        _http = new HttpClient { BaseAddress = _server.BaseAddress };
    }

    public void Dispose() => _http.Dispose();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Malformed_protobuf_gets_400_with_a_message_and_stores_nothing()
    {
        var valid = OtlpBatches.Create(batch: 900, traces: 1, spansPerTrace: 2).ToByteArray();
        // A valid batch cut short: the parser meets a truncated length-delimited field.
        using var content = new ByteArrayContent(valid[..^3]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");

        using var response = await _http.PostAsync("/v1/traces", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("malformed OTLP protobuf", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await OtlpBatches.CountServedSpansAsync(_http, OtlpBatches.TraceId(900, 0)));
    }

    [Fact]
    public async Task Malformed_json_gets_400_with_a_message()
    {
        using var content = new StringContent("{\"resourceSpans\": [", Encoding.UTF8, "application/json");

        using var response = await _http.PostAsync("/v1/traces", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("malformed OTLP JSON", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Body_over_the_limit_gets_413_and_stores_nothing()
    {
        var big = OtlpBatches.Create(batch: 901, traces: 200, spansPerTrace: 5);
        Assert.True(big.CalculateSize() > 65536);

        using var response = await OtlpBatches.PostAsync(_http, big);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await OtlpBatches.CountServedSpansAsync(_http, OtlpBatches.TraceId(901, 0)));
    }

    [Fact]
    public async Task Gzip_body_is_accepted()
    {
        var batch = OtlpBatches.Create(batch: 902, traces: 1, spansPerTrace: 3);
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            batch.WriteTo(gzip);
        }

        using var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await _http.PostAsync("/v1/traces", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, await OtlpBatches.CountServedSpansAsync(_http, OtlpBatches.TraceId(902, 0)));
    }

    [Theory]
    [InlineData("/api/traces/not-hex")]
    [InlineData("/api/v2/traces/0123456789abcdef0123456789abcdef00")]
    public async Task Bad_trace_id_in_the_path_gets_400(string path)
    {
        using var response = await _http.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotEmpty(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_trace_gets_404()
    {
        using var response = await _http.GetAsync("/api/traces/00000000000000000000000000abcdef");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Bad_TraceQL_gets_400_naming_the_position()
    {
        using var response = await _http.GetAsync("/api/search?q=" + Uri.EscapeDataString("{ duration > }"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("col 14", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_readiness_and_self_metrics_are_served()
    {
        using (var response = await OtlpBatches.PostAsync(_http, OtlpBatches.Create(batch: 903, traces: 2, spansPerTrace: 5)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/-/healthy")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/-/ready")).StatusCode);
        var metrics = await _http.GetStringAsync("/metrics");
        var spans = metrics.Split('\n').Single(l => l.StartsWith("tracelink_ingest_spans_total", StringComparison.Ordinal));
        Assert.True(double.Parse(spans.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture) >= 10, spans);
        Assert.Contains("http_server_request_duration_seconds_bucket", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--listen", "nowhere")]
    [InlineData("--retention", "forever")]
    [InlineData("--retention", "0d")]
    [InlineData("--retention", "30m7d")]
    [InlineData("--frobnicate")]
    public async Task Bad_flags_exit_2_with_one_line(params string[] args)
    {
        var (exitCode, stdout, stderr) = await ServerProcess.RunToExitAsync(["serve", .. args]);

        Assert.Equal(2, exitCode);
        Assert.Empty(stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("tracelink: ", stderr);
    }

    [Fact]
    public async Task Help_exits_0_and_lists_the_flags()
    {
        var (exitCode, stdout, _) = await ServerProcess.RunToExitAsync("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("--retention", stdout);
    }
}
