using TraceLink.Storage.Tsdb;

namespace TraceLink.Ingest.SpanMetrics;

/// <summary>The cumulative state of one label set: call counter, duration histogram and this interval's exemplars.</summary>
internal sealed class SeriesState(Label[] callsLabels, Label[] durationLabels, int schema, int maxBuckets, int maxExemplars)
{
    public Label[] CallsLabels { get; } = callsLabels;

    public Label[] DurationLabels { get; } = durationLabels;

    public ExponentialHistogram Duration { get; } = new(schema, maxBuckets);

    public ExemplarReservoir Exemplars { get; } = new(maxExemplars);

    /// <summary>Whether a sample was flushed since this state was created (the first one marks a counter reset).</summary>
    public bool Flushed { get; set; }
}
