namespace TraceLink.Ingest.SpanMetrics;

/// <summary>
/// An extra label taken from a span (or its resource) attribute, as the collector's spanmetrics
/// <c>dimensions</c> entry: <c>http.request.method</c> becomes label <c>http_request_method</c>.
/// When the attribute is missing, <see cref="Default"/> is used; without a default the label is omitted.
/// </summary>
public sealed record SpanMetricsDimension(string Name, string? Default = null);
