using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Storage.Tests.Spans;

/// <summary>Builds realistic OTLP requests with deterministic ids.</summary>
internal static class SpanFactory
{
    public static readonly long Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;

    public static byte[] TraceId(int n)
    {
        byte[] id = new byte[16];
        BitConverter.TryWriteBytes(id.AsSpan(8), (long)n + 1);
        id[0] = 0x7A;
        return id;
    }

    public static byte[] SpanId(int trace, int span)
    {
        byte[] id = new byte[8];
        BitConverter.TryWriteBytes(id, (trace * 1000) + span + 1);
        return id;
    }

    public static Span NewSpan(int trace, int span, long startNanos, long durationNanos = 2_000_000, Action<Span>? customize = null)
    {
        var result = new Span
        {
            TraceId = ByteString.CopyFrom(TraceId(trace)),
            SpanId = ByteString.CopyFrom(SpanId(trace, span)),
            ParentSpanId = span == 0 ? ByteString.Empty : ByteString.CopyFrom(SpanId(trace, 0)),
            Name = span == 0 ? "GET /api/orders" : $"SELECT orders {span % 3}",
            Kind = span == 0 ? Span.Types.SpanKind.Server : Span.Types.SpanKind.Client,
            StartTimeUnixNano = (ulong)startNanos,
            EndTimeUnixNano = (ulong)(startNanos + durationNanos),
            Status = new Status { Code = span % 7 == 6 ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Unset },
        };
        result.Attributes.Add(Attr("http.method", "GET"));
        result.Attributes.Add(Attr("http.route", "/api/orders/{id}"));
        result.Attributes.Add(Attr("http.status_code", 200));
        result.Attributes.Add(Attr("net.peer.name", "db-" + (span % 4)));
        result.Attributes.Add(Attr("db.system", "postgresql"));
        result.Attributes.Add(Attr("thread.id", 4000 + span));
        result.Attributes.Add(Attr("tcp.req_seq", 1_000_000L + (trace * 100) + span));
        result.Attributes.Add(Attr("tcp.resp_seq", 2_000_000L + (trace * 100) + span));
        result.Attributes.Add(Attr("x_request_id.req", $"req-{trace}-{span}"));
        result.Attributes.Add(Attr("syscall.trace_id.req", 9_000_000L + trace));
        result.Events.Add(new Span.Types.Event { Name = "retry", TimeUnixNano = (ulong)(startNanos + 10) });
        customize?.Invoke(result);
        return result;
    }

    public static ExportTraceServiceRequest Request(string service, int firstTrace, int traces, int spansPerTrace, long startNanos, Action<Span>? customize = null)
    {
        var resourceSpans = new ResourceSpans { Resource = new Resource(), SchemaUrl = "https://opentelemetry.io/schemas/1.21.0" };
        resourceSpans.Resource.Attributes.Add(Attr("service.name", service));
        resourceSpans.Resource.Attributes.Add(Attr("process.pid", 77));
        resourceSpans.Resource.Attributes.Add(Attr("host.name", "node-1"));
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "tracelink.tests", Version = "1.0" } };
        for (int t = firstTrace; t < firstTrace + traces; t++)
        {
            for (int s = 0; s < spansPerTrace; s++)
            {
                scope.Spans.Add(NewSpan(t, s, startNanos + (s * 1000), customize: customize));
            }
        }

        resourceSpans.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resourceSpans);
        return request;
    }

    public static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    public static KeyValue Attr(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}
