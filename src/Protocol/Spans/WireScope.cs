namespace TraceLink.Protocol.Spans;

/// <summary>Where one <c>ScopeSpans</c>' scope and schema url lie in an <see cref="OtlpSpanBatch"/> body.</summary>
public struct WireScope
{
    /// <summary>The encoded <c>InstrumentationScope</c> message (empty when absent).</summary>
    public Range Scope { get; internal set; }

    /// <summary>True when the <c>scope</c> field is present (possibly empty).</summary>
    public bool HasScope { get; internal set; }

    /// <summary><c>schema_url</c>, UTF-8.</summary>
    public Range SchemaUrl { get; internal set; }
}
