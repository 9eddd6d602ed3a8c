using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

using Google.Protobuf;

using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Query.Tests.Tempo;

public sealed class TraceByIdTests(TempoApiFixture fixture) : IClassFixture<TempoApiFixture>
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task V1_json_has_batches_with_base64_ids_string_int64_and_enum_names()
    {
        using var response = await _client.GetAsync("/api/traces/" + TempoApiFixture.TraceA);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var root = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(["batches"], root.Select(p => p.Key));
        var batch = Assert.Single(root["batches"]!.AsArray())!;
        Assert.Equal(
            """{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]}""",
            batch["resource"]!.ToJsonString());
        var scopeSpans = Assert.Single(batch["scopeSpans"]!.AsArray())!;
        Assert.Equal("""{"name":"io.example.http","version":"1.2.0"}""", scopeSpans["scope"]!.ToJsonString());
        var spans = scopeSpans["spans"]!.AsArray();
        Assert.Equal(2, spans.Count);
        Assert.Equal(
            "{\"traceId\":\"AAAAAAAAAAB6m9zsGqQJEA==\",\"spanId\":\"wP/uAAAAAAE=\",\"name\":\"POST /orders\",\"kind\":\"SPAN_KIND_SERVER\","
            + "\"startTimeUnixNano\":\"1717999400000000000\",\"endTimeUnixNano\":\"1717999400250000000\","
            + "\"attributes\":[{\"key\":\"http.status_code\",\"value\":{\"intValue\":\"500\"}},{\"key\":\"http.method\",\"value\":{\"stringValue\":\"POST\"}}],"
            + "\"status\":{\"message\":\"upstream timeout\",\"code\":\"STATUS_CODE_ERROR\"}}",
            spans[0]!.ToJsonString());

        // A span stored without a status still carries an (empty) status message, and its parent id is base64.
        Assert.Equal("{}", spans[1]!["status"]!.ToJsonString());
        Assert.Equal("wP/uAAAAAAE=", spans[1]!["parentSpanId"]!.GetValue<string>());
    }

    [Fact]
    public async Task V1_protobuf_is_otlp_traces_data_grouped_by_resource_and_scope()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/traces/" + TempoApiFixture.TraceA);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/protobuf"));
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/protobuf", response.Content.Headers.ContentType?.MediaType);
        var data = TracesData.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        var resourceSpans = Assert.Single(data.ResourceSpans);
        Assert.Equal("checkout", resourceSpans.Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue);
        var scopeSpans = Assert.Single(resourceSpans.ScopeSpans);
        Assert.Equal("io.example.http", scopeSpans.Scope.Name);
        Assert.Equal(["POST /orders", "SELECT orders"], scopeSpans.Spans.Select(s => s.Name));
        Assert.All(scopeSpans.Spans, s => Assert.NotNull(s.Status));
        Assert.Equal(Status.Types.StatusCode.Error, scopeSpans.Spans[0].Status.Code);
    }

    [Fact]
    public async Task Missing_scope_is_written_as_an_empty_message()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/traces/" + TempoApiFixture.TraceB);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/protobuf"));
        using var response = await _client.SendAsync(request);
        var data = TracesData.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());

        Assert.NotNull(data.ResourceSpans[0].ScopeSpans[0].Scope);
        var json = JsonNode.Parse(await _client.GetStringAsync("/api/traces/" + TempoApiFixture.TraceB))!;
        Assert.Equal("{}", json["batches"]![0]!["scopeSpans"]![0]!["scope"]!.ToJsonString());
    }

    [Fact]
    public async Task Short_and_uppercase_ids_are_left_padded()
    {
        using var shortId = await _client.GetAsync("/api/traces/C3");
        using var padded = await _client.GetAsync("/api/traces/000000000000000000000000000000c3");

        Assert.Equal(HttpStatusCode.OK, shortId.StatusCode);
        Assert.Equal(await padded.Content.ReadAsStringAsync(), await shortId.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task V1_unknown_trace_returns_404()
    {
        using var response = await _client.GetAsync("/api/traces/abcdef");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("/api/traces/12xz", "trace IDs can only contain hex characters: invalid character 'x' at position 3")]
    [InlineData("/api/v2/traces/12xz", "trace IDs can only contain hex characters: invalid character 'x' at position 3")]
    [InlineData("/api/traces/000000000000000000000000000000001", "trace IDs can't be larger than 128 bits")]
    [InlineData("/api/traces/c3?start=abc", "invalid start: strconv.ParseInt: parsing \"abc\": invalid syntax")]
    [InlineData("/api/v2/traces/c3?start=20&end=10", "http parameter start must be before end. received start=20 end=10")]
    public async Task Bad_ids_and_ranges_return_400_with_plain_text(string path, string message)
    {
        using var response = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task V2_json_wraps_resource_spans_in_trace_and_reports_metrics()
    {
        var root = JsonNode.Parse(await _client.GetStringAsync($"/api/v2/traces/{TempoApiFixture.TraceA}?span_pruning=true"))!.AsObject();

        Assert.Equal(["trace", "metrics"], root.Select(p => p.Key));
        Assert.Equal(["resourceSpans"], root["trace"]!.AsObject().Select(p => p.Key));
        Assert.Equal(2, root["trace"]!["resourceSpans"]![0]!["scopeSpans"]![0]!["spans"]!.AsArray().Count);
        var inspected = root["metrics"]!["inspectedBytes"]!.GetValue<string>();
        Assert.True(long.Parse(inspected, System.Globalization.CultureInfo.InvariantCulture) > 100);
    }

    [Fact]
    public async Task V2_unknown_trace_is_200_with_an_empty_trace()
    {
        Assert.Equal("""{"trace":{},"metrics":{}}""", await _client.GetStringAsync("/api/v2/traces/abcdef"));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v2/traces/abcdef");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/protobuf"));
        using var response = await _client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new byte[] { 0x0A, 0x00, 0x12, 0x00 }, body);
    }

    [Fact]
    public async Task V2_protobuf_is_trace_by_id_response_with_traces_data_in_field_1()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v2/traces/" + TempoApiFixture.TraceA);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/protobuf"));
        using var response = await _client.SendAsync(request);
        var input = new CodedInputStream(await response.Content.ReadAsByteArrayAsync());

        TracesData? trace = null;
        ulong inspectedBytes = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    trace = new TracesData();
                    input.ReadMessage(trace);
                    break;
                case 2:
                    var metrics = new CodedInputStream(input.ReadBytes().ToByteArray());
                    Assert.Equal(WireFormat.MakeTag(1, WireFormat.WireType.Varint), metrics.ReadTag());
                    inspectedBytes = metrics.ReadUInt64();
                    break;
                default:
                    Assert.Fail("unexpected field " + WireFormat.GetTagFieldNumber(tag));
                    break;
            }
        }

        Assert.NotNull(trace);
        Assert.Equal(2, trace.ResourceSpans[0].ScopeSpans[0].Spans.Count);
        Assert.Equal((ulong)trace.CalculateSize(), inspectedBytes);
    }
}
