namespace TraceLink.Storage.Tsdb;

/// <summary>
/// A float native histogram as Prometheus models it (model/histogram.FloatHistogram):
/// bucket counts are absolute. PromQL evaluates every histogram in this form.
/// </summary>
public sealed class FloatHistogram
{
    /// <summary>Counter reset hint.</summary>
    public CounterResetHint CounterResetHint { get; set; }
    /// <summary>Resolution, -4..8 (or -53 for custom buckets).</summary>
    public int Schema { get; set; }
    /// <summary>Width of the zero bucket.</summary>
    public double ZeroThreshold { get; set; }
    /// <summary>Observations in the zero bucket.</summary>
    public double ZeroCount { get; set; }
    /// <summary>Total observations.</summary>
    public double Count { get; set; }
    /// <summary>Sum of observations.</summary>
    public double Sum { get; set; }
    /// <summary>Spans of positive buckets.</summary>
    public BucketSpan[] PositiveSpans { get; set; } = [];
    /// <summary>Spans of negative buckets.</summary>
    public BucketSpan[] NegativeSpans { get; set; } = [];
    /// <summary>Absolute positive bucket counts.</summary>
    public double[] PositiveBuckets { get; set; } = [];
    /// <summary>Absolute negative bucket counts.</summary>
    public double[] NegativeBuckets { get; set; } = [];
    /// <summary>Upper bounds for custom-bucket histograms (schema -53).</summary>
    public double[] CustomValues { get; set; } = [];

    /// <summary>Makes this a copy of <paramref name="other"/>, reusing its arrays where the lengths match; returns this.</summary>
    internal FloatHistogram CopyFrom(FloatHistogram other)
    {
        CounterResetHint = other.CounterResetHint;
        Schema = other.Schema;
        ZeroThreshold = other.ZeroThreshold;
        ZeroCount = other.ZeroCount;
        Count = other.Count;
        Sum = other.Sum;
        PositiveSpans = Histogram.CopyInto(PositiveSpans, other.PositiveSpans);
        NegativeSpans = Histogram.CopyInto(NegativeSpans, other.NegativeSpans);
        PositiveBuckets = Histogram.CopyInto(PositiveBuckets, other.PositiveBuckets);
        NegativeBuckets = Histogram.CopyInto(NegativeBuckets, other.NegativeBuckets);
        CustomValues = Histogram.CopyInto(CustomValues, other.CustomValues);
        return this;
    }
}
