using System.Globalization;

using Google.Protobuf.Collections;

using OpenTelemetry.Proto.Common.V1;

using TraceLink.Protocol.Spans;

namespace TraceLink.Ingest;

/// <summary>Reads OTLP attributes as strings for labels and log lines, without allocating for common values.</summary>
internal static class SpanAttributeReader
{
    private static readonly string[] SmallIntegers = CreateSmallIntegers();

    /// <summary>Finds <paramref name="key"/> and renders its value; false when absent or not a scalar.</summary>
    public static bool TryGet(RepeatedField<KeyValue> attributes, string key, out string value)
    {
        for (var i = 0; i < attributes.Count; i++)
        {
            var attribute = attributes[i];
            if (attribute.Key == key && attribute.Value is { } any)
            {
                return TryRender(any, out value);
            }
        }

        value = string.Empty;
        return false;
    }

    /// <summary>Looks in span attributes first, then in resource attributes, as the collector's spanmetrics does.</summary>
    public static bool TryGet(RepeatedField<KeyValue> spanAttributes, RepeatedField<KeyValue>? resourceAttributes, string key, out string value)
        => TryGet(spanAttributes, key, out value) || (resourceAttributes is not null && TryGet(resourceAttributes, key, out value));

    /// <summary>The resource's <c>service.name</c>, or <c>unknown_service</c> as the OpenTelemetry SDKs default it.</summary>
    public static string ServiceName(RepeatedField<KeyValue>? resourceAttributes)
        => resourceAttributes is not null && TryGet(resourceAttributes, SpanAttributeNames.ServiceName, out var name) ? name : "unknown_service";

    /// <summary>Renders a scalar value the way the collector's Prometheus translation does.</summary>
    public static bool TryRender(AnyValue any, out string value)
    {
        switch (any.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                value = any.StringValue;
                return true;
            case AnyValue.ValueOneofCase.IntValue:
                var number = any.IntValue;
                value = number is >= 0 and < 1000 ? SmallIntegers[number] : number.ToString(CultureInfo.InvariantCulture);
                return true;
            case AnyValue.ValueOneofCase.BoolValue:
                value = any.BoolValue ? "true" : "false";
                return true;
            case AnyValue.ValueOneofCase.DoubleValue:
                value = any.DoubleValue.ToString("R", CultureInfo.InvariantCulture);
                return true;
            case AnyValue.ValueOneofCase.BytesValue:
                value = Convert.ToBase64String(any.BytesValue.Span);
                return true;
            default:
                value = string.Empty;
                return false;
        }
    }

    private static string[] CreateSmallIntegers()
    {
        var values = new string[1000];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = i.ToString(CultureInfo.InvariantCulture);
        }

        return values;
    }
}
