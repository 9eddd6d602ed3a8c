using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Assembly;

/// <summary>One correlation-index key of a span: <c>kind | value</c> (DESIGN.md §4).</summary>
public readonly record struct CorrelationKey(IndexKind Kind, byte[] Value);
