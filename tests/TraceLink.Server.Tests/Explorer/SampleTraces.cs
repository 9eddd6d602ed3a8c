using System.Security.Cryptography;

using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Server.Tests.Explorer;

/// <summary>OTLP traces the browser tests ingest: a small one with an error and a hostile body, and a 2,000-span one.</summary>
internal static class SampleTraces
{
    /// <summary>A request body that would run script if the page ever parsed span data as HTML.</summary>
    public const string HostileBody = "<script>window.__tracelinkXss=1</script><img src=x onerror=\"window.__tracelinkXss=2\">{\"card\":\"4111\"}";

    public const string ErrorSpanName = "POST /pay";
    public const string ErrorService = "payments";
    public const string LinkKey = "tcp.req_seq";

    public static readonly string[] SmallSpanNames = ["GET /checkout", "POST /pay", ErrorSpanName, "SELECT cards", "render receipt"];

    /// <summary>A random trace id whose hex form has no leading zero (Tempo search trims them).</summary>
    public static byte[] NewTraceId()
    {
        var id = RandomNumberGenerator.GetBytes(16);
        id[0] |= 0x10;
        return id;
    }

    /// <summary>
    /// frontend GET /checkout → frontend client POST /pay → payments server POST /pay (error, hostile body)
    /// → payments client SELECT cards; plus frontend render receipt. Timed to end just before <paramref name="now"/>;
    /// <paramref name="stretch"/> multiplies every duration (the span-metrics exemplar reservoir keeps one span
    /// per bucket and interval, so a trace meant to become an exemplar must be slower than its neighbours).
    /// </summary>
    public static ExportTraceServiceRequest Small(byte[] traceId, DateTimeOffset now, double stretch = 1)
    {
        var t0 = (ulong)(now.ToUnixTimeMilliseconds() - (long)(500 * stretch)) * 1_000_000UL;
        ulong Ms(double ms) => t0 + (ulong)(ms * stretch * 1_000_000);
        var root = NewSpan(traceId, 1, 0, SmallSpanNames[0], Span.Types.SpanKind.Server, Ms(0), Ms(120));
        root.Attributes.Add(Str("http.request.method", "GET"));
        root.Attributes.Add(Str("url.path", "/checkout"));
        root.Attributes.Add(Int("http.response.status_code", 502));
        var client = NewSpan(traceId, 2, 1, SmallSpanNames[1], Span.Types.SpanKind.Client, Ms(5), Ms(100));
        client.Attributes.Add(Str("http.request.method", "POST"));
        client.Attributes.Add(Int("tcp.req_seq", 4242));
        var server = NewSpan(traceId, 3, 2, ErrorSpanName, Span.Types.SpanKind.Server, Ms(10), Ms(95));
        server.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "card declined" };
        server.Attributes.Add(Str("http.request.method", "POST"));
        server.Attributes.Add(Str("url.path", "/pay"));
        server.Attributes.Add(Int("http.response.status_code", 502));
        server.Attributes.Add(Str("http.request.header.content-type", "application/json"));
        server.Attributes.Add(Str("http.request.header.x-request-id", "req-7f3a"));
        server.Attributes.Add(Str("http.response.header.content-type", "application/json"));
        server.Attributes.Add(Str("http.request.body", HostileBody));
        server.Attributes.Add(Str("http.response.body", "{\"error\":\"card declined\"}"));
        server.Attributes.Add(Int("tcp.req_seq", 4242));
        server.Attributes.Add(Str("x_request_id.req", "req-7f3a"));
        server.Attributes.Add(Str("tap_side", "s"));
        server.Attributes.Add(Str("tracelink.link.key", LinkKey));
        var db = NewSpan(traceId, 4, 3, SmallSpanNames[3], Span.Types.SpanKind.Client, Ms(20), Ms(60));
        db.Attributes.Add(Str("db.system", "postgresql"));
        var render = NewSpan(traceId, 5, 1, SmallSpanNames[4], Span.Types.SpanKind.Internal, Ms(100), Ms(118));
        return Request(("frontend", [root, client, render]), (ErrorService, [server, db]));
    }

    /// <summary>A 2,000-span trace over four services: a root fanning out to a tree of depth ~10.</summary>
    public static ExportTraceServiceRequest Large(byte[] traceId, DateTimeOffset now, int spanCount = 2000)
    {
        string[] services = ["gateway", "orders", "inventory", "billing"];
        var t0 = (ulong)(now.ToUnixTimeMilliseconds() - 5000) * 1_000_000UL;
        var byService = services.ToDictionary(s => s, _ => new List<Span>());
        for (var i = 1; i <= spanCount; i++)
        {
            var parent = i == 1 ? 0 : i / 2;
            var depth = (int)Math.Log2(i);
            var start = t0 + (ulong)(depth * 150_000 + (i % 97) * 10_000);
            var end = start + (ulong)((12 - depth) * 300_000 + (i % 13) * 20_000);
            var span = NewSpan(traceId, (ulong)i, (ulong)parent, $"op-{i} /items/{i % 50}", i % 2 == 0 ? Span.Types.SpanKind.Client : Span.Types.SpanKind.Server, start, end);
            span.Attributes.Add(Str("http.request.method", "GET"));
            span.Attributes.Add(Int("tcp.req_seq", 100_000 + i));
            if (i % 400 == 0)
            {
                span.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "boom" };
            }

            byService[services[i % services.Length]].Add(span);
        }

        return Request([.. services.Select(s => (s, byService[s].ToArray()))]);
    }

    public static string Hex(byte[] id) => Convert.ToHexStringLower(id);

    private static ExportTraceServiceRequest Request(params (string Service, Span[] Spans)[] groups)
    {
        var request = new ExportTraceServiceRequest();
        foreach (var (service, spans) in groups)
        {
            var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "tracelink.tests" } };
            scope.Spans.Add(spans);
            var resource = new Resource();
            resource.Attributes.Add(Str("service.name", service));
            request.ResourceSpans.Add(new ResourceSpans { Resource = resource, ScopeSpans = { scope } });
        }

        return request;
    }

    private static Span NewSpan(byte[] traceId, ulong id, ulong parent, string name, Span.Types.SpanKind kind, ulong start, ulong end)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = ByteString.CopyFrom(SpanId(traceId, id)),
            Name = name,
            Kind = kind,
            StartTimeUnixNano = start,
            EndTimeUnixNano = end,
            Status = new Status(),
        };
        if (parent != 0)
        {
            span.ParentSpanId = ByteString.CopyFrom(SpanId(traceId, parent));
        }

        return span;
    }

    // Span ids differ per trace so repeated runs against one server never share a span id.
    public static byte[] SpanId(byte[] traceId, ulong n)
    {
        var id = new byte[8];
        traceId.AsSpan(0, 4).CopyTo(id);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(id.AsSpan(4), (uint)n);
        return id;
    }

    private static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}
