namespace TraceLink.Storage.Tsdb;

/// <summary>
/// An integer native histogram exactly as Prometheus models it (model/histogram.Histogram):
/// bucket counts are delta-encoded, first against zero then against the previous bucket.
/// </summary>
public sealed class Histogram
{
    /// <summary>Counter reset hint.</summary>
    public CounterResetHint CounterResetHint { get; set; }
    /// <summary>Resolution, -4..8 (or -53 for custom buckets).</summary>
    public int Schema { get; set; }
    /// <summary>Width of the zero bucket.</summary>
    public double ZeroThreshold { get; set; }
    /// <summary>Observations in the zero bucket.</summary>
    public ulong ZeroCount { get; set; }
    /// <summary>Total observations.</summary>
    public ulong Count { get; set; }
    /// <summary>Sum of observations.</summary>
    public double Sum { get; set; }
    /// <summary>Spans of positive buckets.</summary>
    public BucketSpan[] PositiveSpans { get; set; } = [];
    /// <summary>Spans of negative buckets.</summary>
    public BucketSpan[] NegativeSpans { get; set; } = [];
    /// <summary>Delta-encoded positive bucket counts.</summary>
    public long[] PositiveBuckets { get; set; } = [];
    /// <summary>Delta-encoded negative bucket counts.</summary>
    public long[] NegativeBuckets { get; set; } = [];
    /// <summary>Upper bounds for custom-bucket histograms (schema -53).</summary>
    public double[] CustomValues { get; set; } = [];
}
