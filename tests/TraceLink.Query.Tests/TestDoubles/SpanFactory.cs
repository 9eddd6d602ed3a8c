using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Testing;

namespace TraceLink.Query.Tests.TestDoubles;

/// <summary>Builds OTLP export requests for tests.</summary>
public static class SpanFactory
{
    public static byte[] TraceId(string hex) => Convert.FromHexString(hex.PadLeft(32, '0'));

    public static byte[] SpanId(string hex) => Convert.FromHexString(hex.PadLeft(16, '0'));

    public static Span MakeSpan(
        string traceIdHex,
        string spanIdHex,
        string? parentHex,
        string name,
        ulong startUnixNano,
        ulong durationNanos,
        Span.Types.SpanKind kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Server,
        Status.Types.StatusCode status = Status.Types.StatusCode.Unset,
        string? statusMessage = null,
        params KeyValue[] attributes)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(TraceId(traceIdHex)),
            SpanId = ByteString.CopyFrom(SpanId(spanIdHex)),
            Name = name,
            Kind = kind,
            StartTimeUnixNano = startUnixNano,
            EndTimeUnixNano = startUnixNano + durationNanos,
        };
        if (parentHex is not null)
        {
            span.ParentSpanId = ByteString.CopyFrom(SpanId(parentHex));
        }

        if (status != Status.Types.StatusCode.Unset || statusMessage is not null)
        {
            span.Status = new Status { Code = status, Message = statusMessage ?? string.Empty };
        }

        span.Attributes.AddRange(attributes);

        return span;
    }

    public static KeyValue Attribute(string key, object value) => OtlpValues.Attribute(key, value);

    public static ExportTraceServiceRequest Request(string service, params Span[] spans) =>
        OtlpValues.Request(service, new InstrumentationScope { Name = "io.example.http", Version = "1.2.0" }, spans);

    public static ExportTraceServiceRequest Request(string service, InstrumentationScope? scope, params Span[] spans) =>
        OtlpValues.Request(service, scope, spans);
}
