using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Sensor.Tests.EndToEnd;

internal static class SpanExtensions
{
    public static string? Str(this Span span, string key) => Find(span.Attributes, key)?.StringValue;

    public static long? Int(this Span span, string key) => Find(span.Attributes, key) is { } v ? v.IntValue : null;

    public static string? Str(this OpenTelemetry.Proto.Resource.V1.Resource resource, string key) =>
        Find(resource.Attributes, key)?.StringValue;

    private static AnyValue? Find(Google.Protobuf.Collections.RepeatedField<KeyValue> attributes, string key)
    {
        foreach (var kv in attributes)
        {
            if (kv.Key == key)
            {
                return kv.Value;
            }
        }

        return null;
    }
}
