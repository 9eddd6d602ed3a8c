namespace TraceLink.Ingest.SpanMetrics;

/// <summary>Settings of the span-metrics connector; names and defaults follow the OpenTelemetry Collector's spanmetrics connector.</summary>
public sealed class SpanMetricsOptions
{
    /// <summary>Prefix of the metric names: <c>{Namespace}_calls_total</c> and <c>{Namespace}_duration_seconds</c>.</summary>
    public string Namespace { get; set; } = "traces_spanmetrics";

    /// <summary>Extra dimensions beyond service_name, span_name, span_kind and status_code.</summary>
    public IList<SpanMetricsDimension> Dimensions { get; } =
    [
        new("http.request.method"),
        new("http.response.status_code"),
    ];

    /// <summary>How often the cumulative state is written to the TSDB as samples.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Most distinct label sets per metric; further label sets go to the <c>otel_metric_overflow="true"</c> series.</summary>
    public int CardinalityLimit { get; set; } = 5000;

    /// <summary>Schema (resolution) a new duration histogram starts at, -4..8; 3 gives buckets about 9% wide.</summary>
    public int InitialSchema { get; set; } = 3;

    /// <summary>Most populated buckets per histogram; when exceeded the schema is reduced (as the collector's <c>max_size</c>).</summary>
    public int MaxBuckets { get; set; } = 160;

    /// <summary>Most exemplars kept per series and flush interval besides the slowest span and the slowest error.</summary>
    public int MaxExemplarsPerSeries { get; set; } = 4;

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message when a setting is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Namespace))
        {
            throw new ArgumentException("span metrics namespace must not be empty");
        }

        if (FlushInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"span metrics flush interval must be positive, got {FlushInterval}");
        }

        if (CardinalityLimit < 1)
        {
            throw new ArgumentException($"span metrics cardinality limit must be at least 1, got {CardinalityLimit}");
        }

        if (InitialSchema is < -4 or > 8)
        {
            throw new ArgumentException($"span metrics initial schema must be in -4..8, got {InitialSchema}");
        }

        if (MaxBuckets < 2)
        {
            throw new ArgumentException($"span metrics max buckets must be at least 2, got {MaxBuckets}");
        }

        if (MaxExemplarsPerSeries < 0)
        {
            throw new ArgumentException($"span metrics max exemplars per series must not be negative, got {MaxExemplarsPerSeries}");
        }
    }
}
