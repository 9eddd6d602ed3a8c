using System.Globalization;
using System.Text.Json;

using Google.Protobuf;
using Google.Protobuf.Collections;

using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Query.Tempo;

/// <summary>
/// Writes OTLP trace messages as proto3 canonical JSON the way Tempo's gogo <c>jsonpb</c> does: lowerCamelCase
/// names, base64 ids, 64-bit integers as strings, enum names, zero values omitted, set-but-empty messages as <c>{}</c>.
/// Hand-written (not <c>JsonFormatter</c>) for compact output without reflection on large traces.
/// </summary>
internal static class OtlpJsonWriter
{
    public static void WriteResourceSpans(Utf8JsonWriter writer, ResourceSpans resourceSpans)
    {
        writer.WriteStartObject();
        if (resourceSpans.Resource is { } resource)
        {
            writer.WriteStartObject("resource");
            WriteAttributes(writer, "attributes", resource.Attributes);
            WriteUInt32(writer, "droppedAttributesCount", resource.DroppedAttributesCount);
            writer.WriteEndObject();
        }

        if (resourceSpans.ScopeSpans.Count > 0)
        {
            writer.WriteStartArray("scopeSpans");
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                WriteScopeSpans(writer, scopeSpans);
            }

            writer.WriteEndArray();
        }

        WriteString(writer, "schemaUrl", resourceSpans.SchemaUrl);
        writer.WriteEndObject();
    }

    private static void WriteScopeSpans(Utf8JsonWriter writer, ScopeSpans scopeSpans)
    {
        writer.WriteStartObject();
        if (scopeSpans.Scope is { } scope)
        {
            writer.WriteStartObject("scope");
            WriteString(writer, "name", scope.Name);
            WriteString(writer, "version", scope.Version);
            WriteAttributes(writer, "attributes", scope.Attributes);
            WriteUInt32(writer, "droppedAttributesCount", scope.DroppedAttributesCount);
            writer.WriteEndObject();
        }

        if (scopeSpans.Spans.Count > 0)
        {
            writer.WriteStartArray("spans");
            foreach (var span in scopeSpans.Spans)
            {
                WriteSpan(writer, span);
            }

            writer.WriteEndArray();
        }

        WriteString(writer, "schemaUrl", scopeSpans.SchemaUrl);
        writer.WriteEndObject();
    }

    private static void WriteSpan(Utf8JsonWriter writer, Span span)
    {
        writer.WriteStartObject();
        WriteBytes(writer, "traceId", span.TraceId);
        WriteBytes(writer, "spanId", span.SpanId);
        WriteString(writer, "traceState", span.TraceState);
        WriteBytes(writer, "parentSpanId", span.ParentSpanId);
        WriteUInt32(writer, "flags", span.Flags);
        WriteString(writer, "name", span.Name);
        if (span.Kind != Span.Types.SpanKind.Unspecified)
        {
            WriteEnum(writer, "kind", span.Kind, KindName(span.Kind));
        }

        WriteUInt64(writer, "startTimeUnixNano", span.StartTimeUnixNano);
        WriteUInt64(writer, "endTimeUnixNano", span.EndTimeUnixNano);
        WriteAttributes(writer, "attributes", span.Attributes);
        WriteUInt32(writer, "droppedAttributesCount", span.DroppedAttributesCount);
        if (span.Events.Count > 0)
        {
            writer.WriteStartArray("events");
            foreach (var spanEvent in span.Events)
            {
                writer.WriteStartObject();
                WriteUInt64(writer, "timeUnixNano", spanEvent.TimeUnixNano);
                WriteString(writer, "name", spanEvent.Name);
                WriteAttributes(writer, "attributes", spanEvent.Attributes);
                WriteUInt32(writer, "droppedAttributesCount", spanEvent.DroppedAttributesCount);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        WriteUInt32(writer, "droppedEventsCount", span.DroppedEventsCount);
        if (span.Links.Count > 0)
        {
            writer.WriteStartArray("links");
            foreach (var link in span.Links)
            {
                writer.WriteStartObject();
                WriteBytes(writer, "traceId", link.TraceId);
                WriteBytes(writer, "spanId", link.SpanId);
                WriteString(writer, "traceState", link.TraceState);
                WriteAttributes(writer, "attributes", link.Attributes);
                WriteUInt32(writer, "droppedAttributesCount", link.DroppedAttributesCount);
                WriteUInt32(writer, "flags", link.Flags);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        WriteUInt32(writer, "droppedLinksCount", span.DroppedLinksCount);
        if (span.Status is { } status)
        {
            writer.WriteStartObject("status");
            WriteString(writer, "message", status.Message);
            if (status.Code != Status.Types.StatusCode.Unset)
            {
                WriteEnum(writer, "code", status.Code, StatusName(status.Code));
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    /// <summary>Writes an OTLP <see cref="KeyValue"/> (<c>intValue</c> as a string, bytes as base64).</summary>
    public static void WriteKeyValue(Utf8JsonWriter writer, string key, AnyValue? value)
    {
        writer.WriteStartObject();
        WriteString(writer, "key", key);
        if (value is not null)
        {
            writer.WritePropertyName("value");
            WriteAnyValue(writer, value);
        }

        writer.WriteEndObject();
    }

    private static void WriteAttributes(Utf8JsonWriter writer, string name, RepeatedField<KeyValue> attributes)
    {
        if (attributes.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var attribute in attributes)
        {
            WriteKeyValue(writer, attribute.Key, attribute.Value);
        }

        writer.WriteEndArray();
    }

    private static void WriteAnyValue(Utf8JsonWriter writer, AnyValue value)
    {
        writer.WriteStartObject();
        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                writer.WriteString("stringValue", value.StringValue);
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                writer.WriteBoolean("boolValue", value.BoolValue);
                break;
            case AnyValue.ValueOneofCase.IntValue:
                writer.WriteString("intValue", value.IntValue.ToString(CultureInfo.InvariantCulture));
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                WriteDouble(writer, "doubleValue", value.DoubleValue);
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                writer.WriteStartObject("arrayValue");
                if (value.ArrayValue.Values.Count > 0)
                {
                    writer.WriteStartArray("values");
                    foreach (var element in value.ArrayValue.Values)
                    {
                        WriteAnyValue(writer, element);
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndObject();
                break;
            case AnyValue.ValueOneofCase.KvlistValue:
                writer.WriteStartObject("kvlistValue");
                WriteAttributes(writer, "values", value.KvlistValue.Values);
                writer.WriteEndObject();
                break;
            case AnyValue.ValueOneofCase.BytesValue:
                writer.WriteBase64String("bytesValue", value.BytesValue.Span);
                break;
            default:
                break;
        }

        writer.WriteEndObject();
    }

    private static void WriteDouble(Utf8JsonWriter writer, string name, double value)
    {
        // Canonical JSON spells non-finite doubles as strings.
        if (double.IsNaN(value))
        {
            writer.WriteString(name, "NaN");
        }
        else if (double.IsInfinity(value))
        {
            writer.WriteString(name, value > 0 ? "Infinity" : "-Infinity");
        }
        else
        {
            writer.WriteNumber(name, value);
        }
    }

    private static void WriteString(Utf8JsonWriter writer, string name, string value)
    {
        if (value.Length > 0)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteBytes(Utf8JsonWriter writer, string name, ByteString value)
    {
        if (!value.IsEmpty)
        {
            writer.WriteBase64String(name, value.Span);
        }
    }

    private static void WriteUInt32(Utf8JsonWriter writer, string name, uint value)
    {
        if (value != 0)
        {
            writer.WriteNumber(name, value);
        }
    }

    private static void WriteUInt64(Utf8JsonWriter writer, string name, ulong value)
    {
        if (value != 0)
        {
            writer.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteEnum<T>(Utf8JsonWriter writer, string name, T value, string? knownName)
        where T : struct, Enum
    {
        if (knownName is null)
        {
            writer.WriteNumber(name, Convert.ToInt32(value, CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteString(name, knownName);
        }
    }

    private static string? KindName(Span.Types.SpanKind kind) => kind switch
    {
        Span.Types.SpanKind.Unspecified => "SPAN_KIND_UNSPECIFIED",
        Span.Types.SpanKind.Internal => "SPAN_KIND_INTERNAL",
        Span.Types.SpanKind.Server => "SPAN_KIND_SERVER",
        Span.Types.SpanKind.Client => "SPAN_KIND_CLIENT",
        Span.Types.SpanKind.Producer => "SPAN_KIND_PRODUCER",
        Span.Types.SpanKind.Consumer => "SPAN_KIND_CONSUMER",
        _ => null,
    };

    private static string? StatusName(Status.Types.StatusCode code) => code switch
    {
        Status.Types.StatusCode.Unset => "STATUS_CODE_UNSET",
        Status.Types.StatusCode.Ok => "STATUS_CODE_OK",
        Status.Types.StatusCode.Error => "STATUS_CODE_ERROR",
        _ => null,
    };
}
