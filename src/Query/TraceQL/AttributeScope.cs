namespace TraceLink.Query.TraceQL;

/// <summary>Where a TraceQL attribute is looked up.</summary>
internal enum AttributeScope
{
    /// <summary><c>.x</c>: span attribute first, then resource attribute.</summary>
    Unscoped,
    Span,
    Resource,
    Instrumentation,
}
