using TraceLink.Protocol.Spans;

namespace TraceLink.Ingest;

/// <summary>Reads OTLP attributes of encoded spans and resources as strings for labels and log lines.</summary>
internal static class SpanAttributeReader
{
    /// <summary>Finds <paramref name="key"/> in field <paramref name="field"/> of <paramref name="message"/> and renders it; false when absent or not a scalar.</summary>
    public static bool TryGet(ReadOnlySpan<byte> message, int field, ReadOnlySpan<byte> key, out string value)
    {
        if (WireAttributeReader.TryFind(message, field, key, out WireKeyValue attribute))
        {
            return attribute.TryRender(out value);
        }

        value = string.Empty;
        return false;
    }

    /// <summary>Finds a span attribute and renders it.</summary>
    public static bool TryGetSpan(ReadOnlySpan<byte> span, ReadOnlySpan<byte> key, out string value) =>
        TryGet(span, WireAttributeReader.SpanField, key, out value);

    /// <summary>Looks in span attributes first, then in resource attributes, as the collector's spanmetrics does.</summary>
    public static bool TryGet(ReadOnlySpan<byte> span, ReadOnlySpan<byte> resource, ReadOnlySpan<byte> key, out string value) =>
        TryGet(span, WireAttributeReader.SpanField, key, out value) || TryGet(resource, WireAttributeReader.ResourceField, key, out value);

    /// <summary>The resource's <c>service.name</c>, or <c>unknown_service</c> as the OpenTelemetry SDKs default it.</summary>
    public static string ServiceName(ReadOnlySpan<byte> resource) =>
        TryGet(resource, WireAttributeReader.ResourceField, "service.name"u8, out string name) ? name : "unknown_service";
}
