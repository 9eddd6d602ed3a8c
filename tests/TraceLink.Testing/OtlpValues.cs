using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Testing;

/// <summary>OTLP values and export requests shared by the test projects.</summary>
public static class OtlpValues
{
    /// <summary>An attribute with a string, int/long, bool, double or string-array value.</summary>
    public static KeyValue Attribute(string key, object value) => new()
    {
        Key = key,
        Value = value switch
        {
            string s => new AnyValue { StringValue = s },
            int i => new AnyValue { IntValue = i },
            long l => new AnyValue { IntValue = l },
            double d => new AnyValue { DoubleValue = d },
            bool b => new AnyValue { BoolValue = b },
            string[] array => new AnyValue { ArrayValue = new ArrayValue { Values = { array.Select(x => new AnyValue { StringValue = x }) } } },
            _ => throw new ArgumentException("unsupported attribute type", nameof(value)),
        },
    };

    /// <summary>One request with one resource (<paramref name="service"/>) and one scope holding the spans.</summary>
    public static ExportTraceServiceRequest Request(string service, InstrumentationScope? scope, params Span[] spans)
    {
        var scopeSpans = new ScopeSpans { Scope = scope };
        scopeSpans.Spans.AddRange(spans);
        var resourceSpans = new ResourceSpans { Resource = new Resource { Attributes = { Attribute("service.name", service) } } };
        resourceSpans.ScopeSpans.Add(scopeSpans);
        return new ExportTraceServiceRequest { ResourceSpans = { resourceSpans } };
    }
}
