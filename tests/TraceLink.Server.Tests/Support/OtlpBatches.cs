using System.Net.Http.Headers;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Server.Tests.Support;

/// <summary>Builds OTLP export requests with deterministic, distinct ids for tests.</summary>
public static class OtlpBatches
{
    /// <summary>A batch of <paramref name="traces"/> traces of <paramref name="spansPerTrace"/> spans each; trace ids derive from <paramref name="batch"/>.</summary>
    public static ExportTraceServiceRequest Create(int batch, int traces, int spansPerTrace, string service = "svc")
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "test" } };
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000UL;
        for (var t = 0; t < traces; t++)
        {
            var traceId = TraceId(batch, t);
            for (var s = 0; s < spansPerTrace; s++)
            {
                scope.Spans.Add(new Span
                {
                    TraceId = ByteString.CopyFrom(traceId),
                    SpanId = ByteString.CopyFrom(SpanId(batch, t, s)),
                    ParentSpanId = s == 0 ? ByteString.Empty : ByteString.CopyFrom(SpanId(batch, t, 0)),
                    Name = s == 0 ? "GET /root" : "child " + s,
                    Kind = s == 0 ? Span.Types.SpanKind.Server : Span.Types.SpanKind.Internal,
                    StartTimeUnixNano = now + (ulong)s * 1000,
                    EndTimeUnixNano = now + 5_000_000,
                    Status = new Status(),
                    Attributes = { new KeyValue { Key = "batch", Value = new AnyValue { IntValue = batch } } },
                });
            }
        }

        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(new ResourceSpans
        {
            Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } } } },
            ScopeSpans = { scope },
        });
        return request;
    }

    /// <summary>The 16-byte trace id of trace <paramref name="trace"/> in batch <paramref name="batch"/>.</summary>
    public static byte[] TraceId(int batch, int trace)
    {
        var id = new byte[16];
        BitConverter.TryWriteBytes(id.AsSpan(0, 4), 0x7e57_0000 + batch);
        BitConverter.TryWriteBytes(id.AsSpan(8, 4), trace + 1);
        return id;
    }

    private static byte[] SpanId(int batch, int trace, int span)
    {
        var id = new byte[8];
        BitConverter.TryWriteBytes(id.AsSpan(0, 4), (batch << 12) | trace);
        BitConverter.TryWriteBytes(id.AsSpan(4, 4), span + 1);
        return id;
    }

    /// <summary>Posts a batch as OTLP protobuf; returns the response.</summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, ExportTraceServiceRequest request)
    {
        using var content = new ByteArrayContent(request.ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        return await http.PostAsync("/v1/traces", content).ConfigureAwait(false);
    }

    /// <summary>Number of spans of a trace served as protobuf by <c>/api/traces/{id}</c>; 0 when 404.</summary>
    public static async Task<int> CountServedSpansAsync(HttpClient http, byte[] traceId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/traces/" + Convert.ToHexStringLower(traceId));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/protobuf"));
        using var response = await http.SendAsync(request).ConfigureAwait(false);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return 0;
        }

        response.EnsureSuccessStatusCode();
        var trace = TracesData.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false));
        return trace.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => s.Spans.Count));
    }
}
