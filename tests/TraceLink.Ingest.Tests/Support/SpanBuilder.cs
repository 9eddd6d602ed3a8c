using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Testing;

namespace TraceLink.Ingest.Tests.Support;

/// <summary>Builds OTLP spans and requests for tests.</summary>
public static class SpanBuilder
{
    /// <summary>A span with the given timing (ns since epoch) and optional status and attributes.</summary>
    public static Span Create(
        byte[] traceId,
        ulong spanId,
        string name,
        long startNs,
        long durationNs,
        Span.Types.SpanKind kind = Span.Types.SpanKind.Server,
        Status.Types.StatusCode status = Status.Types.StatusCode.Unset,
        params (string Key, object Value)[] attributes)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = ByteString.CopyFrom(BitConverter.GetBytes(spanId)),
            Name = name,
            Kind = kind,
            StartTimeUnixNano = (ulong)startNs,
            EndTimeUnixNano = (ulong)(startNs + durationNs),
            Status = new Status { Code = status },
        };
        foreach (var (key, value) in attributes)
        {
            span.Attributes.Add(Attribute(key, value));
        }

        return span;
    }

    /// <summary>An attribute with a string, long/int, bool or double value.</summary>
    public static KeyValue Attribute(string key, object value) => OtlpValues.Attribute(key, value);

    /// <summary>One request with one resource (service) holding the spans.</summary>
    public static ExportTraceServiceRequest Request(string service, params Span[] spans) => OtlpValues.Request(service, null, spans);

    /// <summary>The same request encoded and read as the wire batch observers receive.</summary>
    public static OtlpSpanBatch Batch(string service, params Span[] spans) => OtlpSpanBatch.FromRequest(Request(service, spans));

    /// <summary>A random 16-byte trace id from <paramref name="random"/>.</summary>
    public static byte[] TraceId(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var id = new byte[16];
        random.NextBytes(id);
        return id;
    }
}
