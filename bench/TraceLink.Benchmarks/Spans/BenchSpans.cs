using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Benchmarks.Spans;

/// <summary>Realistic export requests: 10-span traces, ~10 attributes per span incl. the sensor's correlation keys.</summary>
internal static class BenchSpans
{
    public static ExportTraceServiceRequest Request(int batch, int spans, long startNanos)
    {
        var resourceSpans = new ResourceSpans { Resource = new Resource() };
        resourceSpans.Resource.Attributes.Add(Attr("service.name", "checkout-" + (batch % 4)));
        resourceSpans.Resource.Attributes.Add(Attr("process.pid", 4242));
        resourceSpans.Resource.Attributes.Add(Attr("host.name", "node-1"));
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "tracelink.sensor", Version = "0.1" } };
        for (int i = 0; i < spans; i++)
        {
            int trace = (batch * spans / 10) + (i / 10);
            int n = i % 10;
            byte[] traceId = new byte[16];
            BitConverter.TryWriteBytes(traceId, (long)trace + 1);
            BitConverter.TryWriteBytes(traceId.AsSpan(8), 0x5EED_5EED_5EEDL);
            byte[] spanId = new byte[8];
            BitConverter.TryWriteBytes(spanId, ((long)trace << 8) + n + 1);
            long start = startNanos + (i * 1000L);
            var span = new Span
            {
                TraceId = ByteString.CopyFrom(traceId),
                SpanId = ByteString.CopyFrom(spanId),
                Name = n == 0 ? "GET /api/orders/{id}" : "SELECT orders",
                Kind = n == 0 ? Span.Types.SpanKind.Server : Span.Types.SpanKind.Client,
                StartTimeUnixNano = (ulong)start,
                EndTimeUnixNano = (ulong)(start + 150_000 + (n * 37_000)),
                Status = new Status { Code = n == 9 ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Unset },
            };
            span.Attributes.Add(Attr("http.request.method", "GET"));
            span.Attributes.Add(Attr("url.path", "/api/orders/" + trace));
            span.Attributes.Add(Attr("http.response.status_code", 200));
            span.Attributes.Add(Attr("network.peer.address", "10.0.0." + (n + 1)));
            span.Attributes.Add(Attr("network.peer.port", 5432));
            span.Attributes.Add(Attr("tap_side", n == 0 ? "s" : "c"));
            span.Attributes.Add(Attr("thread.id", 1000 + (trace % 16)));
            span.Attributes.Add(Attr("tcp.req_seq", (trace * 1000L) + n));
            span.Attributes.Add(Attr("tcp.resp_seq", (trace * 1000L) + n + 500));
            span.Attributes.Add(Attr("syscall.trace_id.req", trace + 77L));
            span.Attributes.Add(Attr("x_request_id.req", "9f1c2a7e-" + trace.ToString("x8", System.Globalization.CultureInfo.InvariantCulture)));
            scope.Spans.Add(span);
        }

        resourceSpans.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resourceSpans);
        return request;
    }

    private static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Attr(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}
