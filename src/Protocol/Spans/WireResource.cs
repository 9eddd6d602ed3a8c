namespace TraceLink.Protocol.Spans;

/// <summary>Where one <c>ResourceSpans</c> lies in an <see cref="OtlpSpanBatch"/> body; its spans are contiguous in <see cref="OtlpSpanBatch.Spans"/>.</summary>
public struct WireResource
{
    /// <summary>The encoded <c>Resource</c> message (empty when absent).</summary>
    public Range Resource { get; internal set; }

    /// <summary>True when the <c>resource</c> field is present (possibly empty).</summary>
    public bool HasResource { get; internal set; }

    /// <summary><c>schema_url</c>, UTF-8.</summary>
    public Range SchemaUrl { get; internal set; }

    /// <summary>Index of the resource's first span in <see cref="OtlpSpanBatch.Spans"/>.</summary>
    public int FirstSpan { get; internal set; }

    /// <summary>Number of spans under the resource.</summary>
    public int SpanCount { get; internal set; }
}
