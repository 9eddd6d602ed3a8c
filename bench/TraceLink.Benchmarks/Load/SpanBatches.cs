using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Benchmarks.Load;

/// <summary>Realistic OTLP batches: 4 services, HTTP attributes, parent links, 2% errors.</summary>
internal static class SpanBatches
{
    private static readonly string[] Services = ["frontend", "cart", "checkout", "db"];
    private static readonly string[] Routes = ["GET /cart", "POST /checkout", "GET /product/{id}", "SELECT orders", "GET /health"];

    public static ExportTraceServiceRequest Create(long seed, int traces, int spansPerTrace)
    {
        var random = new Random((int)seed);
        var request = new ExportTraceServiceRequest();
        var scopes = new ScopeSpans[Services.Length];
        for (var s = 0; s < Services.Length; s++)
        {
            scopes[s] = new ScopeSpans { Scope = new InstrumentationScope { Name = "io.opentelemetry.aspnetcore", Version = "1.9.0" } };
            request.ResourceSpans.Add(new ResourceSpans
            {
                Resource = new Resource
                {
                    Attributes =
                    {
                        Attribute("service.name", Services[s]),
                        Attribute("host.name", "node-" + (seed % 7)),
                        Attribute("telemetry.sdk.language", "dotnet"),
                    },
                },
                ScopeSpans = { scopes[s] },
            });
        }

        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000UL;
        Span<byte> traceId = stackalloc byte[16];
        Span<byte> spanId = stackalloc byte[8];
        for (var t = 0; t < traces; t++)
        {
            random.NextBytes(traceId);
            ByteString parent = ByteString.Empty;
            for (var i = 0; i < spansPerTrace; i++)
            {
                random.NextBytes(spanId);
                var id = ByteString.CopyFrom(spanId);
                var start = now + (ulong)(i * 1_000_000);
                var error = random.Next(50) == 0;
                scopes[i % Services.Length].Spans.Add(new Span
                {
                    TraceId = ByteString.CopyFrom(traceId),
                    SpanId = id,
                    ParentSpanId = parent,
                    Name = Routes[random.Next(Routes.Length)],
                    Kind = i == 0 ? Span.Types.SpanKind.Server : Span.Types.SpanKind.Client,
                    StartTimeUnixNano = start,
                    EndTimeUnixNano = start + (ulong)random.Next(100_000, 300_000_000),
                    Status = new Status { Code = error ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Unset },
                    Attributes =
                    {
                        Attribute("http.request.method", "GET"),
                        Attribute("url.path", "/product/" + random.Next(1000)),
                        new KeyValue { Key = "http.response.status_code", Value = new AnyValue { IntValue = error ? 500 : 200 } },
                        Attribute("server.address", "shop.local"),
                        Attribute("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"),
                    },
                });
                parent = id;
            }
        }

        return request;
    }

    public static string ToOtlpJson(ExportTraceServiceRequest request)
    {
        // OTLP/JSON carries hex ids; protobuf's formatter writes base64, so rewrite them the other way.
        var node = System.Text.Json.Nodes.JsonNode.Parse(JsonFormatter.Default.Format(request))!;
        foreach (var resource in node["resourceSpans"]!.AsArray())
        {
            foreach (var scope in resource!["scopeSpans"]!.AsArray())
            {
                foreach (var span in scope!["spans"]!.AsArray())
                {
                    foreach (var key in new[] { "traceId", "spanId", "parentSpanId" })
                    {
                        if (span![key] is { } id)
                        {
                            span[key] = Convert.ToHexStringLower(Convert.FromBase64String(id.GetValue<string>()));
                        }
                    }
                }
            }
        }

        return node.ToJsonString();
    }

    private static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
}
