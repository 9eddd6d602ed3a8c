using System.Text.Json;
using System.Text.Json.Nodes;

using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Protocol.Spans;

namespace TraceLink.Ingest.Otlp;

/// <summary>
/// Decodes OTLP/HTTP trace export bodies (binary protobuf or OTLP/JSON) into a validated <see cref="OtlpSpanBatch"/>.
/// Binary bodies are read in place; JSON (the slow path) is parsed, encoded to protobuf and read the same way.
/// OTLP/JSON differs from canonical proto3 JSON in one way that matters: trace and span ids are hex,
/// not base64, so they are rewritten before the protobuf JSON parser sees them.
/// </summary>
public static class OtlpTraceDecoder
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>Reads a binary protobuf body in place (the batch refers to <paramref name="body"/>); returns null with a message for malformed input.</summary>
    public static OtlpSpanBatch? DecodeProtobuf(ReadOnlyMemory<byte> body, out string? error) => OtlpSpanBatch.TryRead(body, out error);

    /// <summary>Decodes an OTLP/JSON body; returns null with a message for malformed input.</summary>
    public static OtlpSpanBatch? DecodeJson(ReadOnlySpan<byte> body, out string? error)
    {
        ExportTraceServiceRequest request;
        try
        {
            var root = JsonNode.Parse(body) as JsonObject;
            if (root is null)
            {
                error = "malformed OTLP JSON: the body is not a JSON object";
                return null;
            }

            foreach (var resourceSpans in Children(root, "resourceSpans", "resource_spans"))
            {
                foreach (var scopeSpans in Children(resourceSpans, "scopeSpans", "scope_spans"))
                {
                    foreach (var span in Children(scopeSpans, "spans", "spans"))
                    {
                        HexToBase64(span, "traceId", "trace_id");
                        HexToBase64(span, "spanId", "span_id");
                        HexToBase64(span, "parentSpanId", "parent_span_id");
                        foreach (var link in Children(span, "links", "links"))
                        {
                            HexToBase64(link, "traceId", "trace_id");
                            HexToBase64(link, "spanId", "span_id");
                        }
                    }
                }
            }

            QuoteLargeIntegers(root);
            request = Parser.Parse<ExportTraceServiceRequest>(root.ToJsonString());
        }
        catch (Exception e) when (e is JsonException or InvalidJsonException or InvalidProtocolBufferException or FormatException or InvalidOperationException)
        {
            error = "malformed OTLP JSON: " + e.Message;
            return null;
        }

        return OtlpSpanBatch.TryRead(request.ToByteArray(), out error);
    }

    /// <summary>
    /// Protobuf's JSON parser reads every JSON number through a double, which rounds nanosecond
    /// timestamps; proto3 JSON allows 64-bit integers as strings, so integers too long for a double are
    /// quoted first. Short integers stay numbers because enums given as numbers must remain numbers.
    /// </summary>
    private static void QuoteLargeIntegers(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToArray())
                {
                    if (child is JsonValue value && IsLargeInteger(value))
                    {
                        obj[key] = value.ToJsonString();
                    }
                    else if (child is not null)
                    {
                        QuoteLargeIntegers(child);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue value && IsLargeInteger(value))
                    {
                        array[i] = value.ToJsonString();
                    }
                    else if (array[i] is { } child)
                    {
                        QuoteLargeIntegers(child);
                    }
                }

                break;
        }
    }

    private static bool IsLargeInteger(JsonValue value)
    {
        if (value.GetValueKind() != JsonValueKind.Number)
        {
            return false;
        }

        var text = value.ToJsonString();
        return text.Length > 15 && !text.Contains('.', StringComparison.Ordinal) && !text.Contains('e', StringComparison.OrdinalIgnoreCase);
    }

    private static IEnumerable<JsonObject> Children(JsonObject parent, string name, string protoName)
    {
        var node = parent[name] ?? parent[protoName];
        if (node is not JsonArray array)
        {
            yield break;
        }

        foreach (var item in array)
        {
            if (item is JsonObject child)
            {
                yield return child;
            }
        }
    }

    private static void HexToBase64(JsonObject span, string name, string protoName)
    {
        var key = span.ContainsKey(name) ? name : protoName;
        if (span[key] is not JsonValue value || !value.TryGetValue(out string? hex))
        {
            return;
        }

        span[key] = hex.Length == 0 ? string.Empty : Convert.ToBase64String(Convert.FromHexString(hex));
    }
}
