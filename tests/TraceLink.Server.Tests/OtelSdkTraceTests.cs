using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Proto.Trace.V1;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using TraceLink.Server.Tests.Support;

namespace TraceLink.Server.Tests;

/// <summary>
/// A small app instrumented with the OpenTelemetry .NET SDK (OTLP/HTTP exporter) produces one trace
/// across three services; the trace must come back from the Tempo API with every span and parent link.
/// </summary>
public sealed class OtelSdkTraceTests : IAsyncLifetime, IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("tracelink-otel-").FullName;
    private ServerProcess _server = null!;
    private HttpClient _http = null!;
    private ProducedTrace _trace = null!;

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(_data);
        _http = new HttpClient { BaseAddress = _server.BaseAddress };
        _trace = ProduceThreeServiceTrace(_server.BaseAddress);
    }

    public void Dispose() => _http.Dispose();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Trace_comes_back_as_protobuf_with_every_span_and_parent()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/traces/" + _trace.TraceId);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/protobuf"));
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trace = TracesData.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        var spans = trace.ResourceSpans
            .SelectMany(r => r.ScopeSpans.SelectMany(s => s.Spans.Select(span => (Service: r.Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue, Span: span))))
            .ToList();
        Assert.Equal(_trace.Spans.Count, spans.Count);
        foreach (var expected in _trace.Spans)
        {
            var actual = Assert.Single(spans, s => Convert.ToHexStringLower(s.Span.SpanId.Span) == expected.SpanId);
            Assert.Equal(expected.Service, actual.Service);
            Assert.Equal(expected.Name, actual.Span.Name);
            Assert.Equal(expected.ParentSpanId, Convert.ToHexStringLower(actual.Span.ParentSpanId.Span));
            Assert.Equal(_trace.TraceId, Convert.ToHexStringLower(actual.Span.TraceId.Span));
        }
    }

    [Fact]
    public async Task Trace_comes_back_as_json_in_v1_and_v2_shapes()
    {
        using var v1 = JsonDocument.Parse(await _http.GetStringAsync("/api/traces/" + _trace.TraceId));
        using var v2 = JsonDocument.Parse(await _http.GetStringAsync("/api/v2/traces/" + _trace.TraceId));

        Assert.Equal(_trace.Spans.Count, CountSpans(v1.RootElement.GetProperty("batches")));
        Assert.Equal(_trace.Spans.Count, CountSpans(v2.RootElement.GetProperty("trace").GetProperty("resourceSpans")));
        var ids = v1.RootElement.GetProperty("batches").EnumerateArray()
            .SelectMany(b => b.GetProperty("scopeSpans").EnumerateArray())
            .SelectMany(s => s.GetProperty("spans").EnumerateArray())
            .Select(s => Convert.ToHexStringLower(Convert.FromBase64String(s.GetProperty("spanId").GetString()!)))
            .Order()
            .ToList();
        Assert.Equal(_trace.Spans.Select(s => s.SpanId).Order().ToList(), ids);
    }

    [Theory]
    [InlineData("tags=service.name%3Dcart")]
    [InlineData("tags=name%3D%22SELECT%20orders%22")]
    [InlineData("tags=status%3Derror")]
    [InlineData("minDuration=150ms&tags=service.name%3Dfrontend")]
    [InlineData("q=%7B%20resource.service.name%20%3D%20%22db%22%20%7D")]
    [InlineData("q=%7B%20name%20%3D%20%22SELECT%20orders%22%20%26%26%20status%20%3D%20error%20%7D")]
    [InlineData("q=%7B%20duration%20%3E%20150ms%20%26%26%20kind%20%3D%20server%20%7D")]
    [InlineData("q=%7B%20.db.system%20%3D~%20%22post.*%22%20%7C%7C%20span.nothing%20%3D%201%20%7D")]
    public async Task Search_finds_the_trace(string query)
    {
        using var result = JsonDocument.Parse(await _http.GetStringAsync("/api/search?" + query));

        var traces = result.RootElement.GetProperty("traces").EnumerateArray().ToList();
        var found = Assert.Single(traces, t => t.GetProperty("traceID").GetString() == _trace.TraceId.TrimStart('0'));
        Assert.Equal("frontend", found.GetProperty("rootServiceName").GetString());
        Assert.Equal("GET /checkout", found.GetProperty("rootTraceName").GetString());
    }

    [Theory]
    [InlineData("tags=service.name%3Dnobody")]
    [InlineData("maxDuration=1ms&tags=service.name%3Dfrontend")]
    [InlineData("q=%7B%20resource.service.name%20%3D%20%22db%22%20%26%26%20status%20%3D%20ok%20%7D")]
    public async Task Search_does_not_find_the_trace_when_a_condition_fails(string query)
    {
        using var result = JsonDocument.Parse(await _http.GetStringAsync("/api/search?" + query));

        var traces = result.RootElement.TryGetProperty("traces", out var list) ? list.EnumerateArray().ToList() : [];
        Assert.DoesNotContain(traces, t => t.GetProperty("traceID").GetString() == _trace.TraceId.TrimStart('0'));
    }

    [Fact]
    public async Task Tag_names_and_values_list_what_was_ingested()
    {
        using var v2 = JsonDocument.Parse(await _http.GetStringAsync("/api/v2/search/tags"));
        var scopes = v2.RootElement.GetProperty("scopes").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).ToList());
        Assert.Contains("service.name", scopes["resource"]);
        Assert.Contains("db.system", scopes["span"]);
        Assert.Contains("duration", scopes["intrinsic"]);

        using var values = JsonDocument.Parse(await _http.GetStringAsync("/api/v2/search/tag/resource.service.name/values"));
        var services = values.RootElement.GetProperty("tagValues").EnumerateArray().Select(v => v.GetProperty("value").GetString()).ToList();
        Assert.Equal(["cart", "db", "frontend"], services.Order().ToList());

        using var v1 = JsonDocument.Parse(await _http.GetStringAsync("/api/search/tag/db.system/values"));
        Assert.Equal(["postgresql"], v1.RootElement.GetProperty("tagValues").EnumerateArray().Select(v => v.GetString()).ToList());
    }

    private static int CountSpans(JsonElement resourceSpans) =>
        resourceSpans.EnumerateArray().Sum(r => r.GetProperty("scopeSpans").EnumerateArray().Sum(s => s.GetProperty("spans").GetArrayLength()));

    /// <summary>frontend → cart → db, each service with its own tracer provider and resource, context passed as W3C traceparent.</summary>
    private static ProducedTrace ProduceThreeServiceTrace(Uri server)
    {
        var services = new[] { "frontend", "cart", "db" };
        var providers = services.Select(name => Sdk.CreateTracerProviderBuilder()
            .AddSource(name)
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(name))
            .AddOtlpExporter(o =>
            {
                o.Endpoint = new Uri(server, "/v1/traces");
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.ExportProcessorType = ExportProcessorType.Simple;
            })
            .Build()!).ToList();
        var sources = services.Select(name => new ActivitySource(name)).ToList();
        var spans = new List<ProducedSpan>();
        var start = DateTimeOffset.UtcNow.AddSeconds(-5);

        Activity Run(int service, string name, ActivityKind kind, ActivityContext parent, double startMs, double durationMs, Action<Activity>? tag = null)
        {
            var activity = sources[service].StartActivity(name, kind, parent, startTime: start.AddMilliseconds(startMs))!;
            tag?.Invoke(activity);
            activity.SetEndTime(start.AddMilliseconds(startMs + durationMs).UtcDateTime);
            return activity;
        }

        void Finish(Activity activity, int service)
        {
            spans.Add(new ProducedSpan(services[service], activity.DisplayName, activity.SpanId.ToHexString(), activity.ParentSpanId == default ? string.Empty : activity.ParentSpanId.ToHexString()));
            activity.Stop();
        }

        // Crossing a process boundary: only the W3C traceparent string travels, as in an HTTP header.
        static ActivityContext OverTheWire(Activity client) => ActivityContext.Parse(client.Id!, null);

        var root = Run(0, "GET /checkout", ActivityKind.Server, default, 0, 200, a => a.SetTag("http.request.method", "GET"));
        var toCart = Run(0, "POST cart", ActivityKind.Client, root.Context, 10, 170);
        var cartServer = Run(1, "POST /cart", ActivityKind.Server, OverTheWire(toCart), 12, 165);
        var toDb = Run(1, "SELECT orders", ActivityKind.Client, cartServer.Context, 20, 120, a => a.SetTag("db.system", "postgresql").SetStatus(ActivityStatusCode.Error, "timeout"));
        var dbServer = Run(2, "query", ActivityKind.Server, OverTheWire(toDb), 22, 110, a => a.SetTag("db.system", "postgresql"));
        Finish(dbServer, 2);
        Finish(toDb, 1);
        Finish(cartServer, 1);
        Finish(toCart, 0);
        Finish(root, 0);

        foreach (var provider in providers)
        {
            Assert.True(provider.ForceFlush(10_000));
            provider.Dispose();
        }

        foreach (var source in sources)
        {
            source.Dispose();
        }

        return new ProducedTrace(root.TraceId.ToHexString(), spans);
    }

    private sealed record ProducedSpan(string Service, string Name, string SpanId, string ParentSpanId);

    private sealed record ProducedTrace(string TraceId, List<ProducedSpan> Spans);
}
