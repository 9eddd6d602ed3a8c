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

    /// <summary>Converts to a <see cref="FloatHistogram"/> with absolute bucket counts (Prometheus <c>Histogram.ToFloat</c>).</summary>
    public FloatHistogram ToFloat()
    {
        return new FloatHistogram
        {
            CounterResetHint = CounterResetHint,
            Schema = Schema,
            ZeroThreshold = ZeroThreshold,
            ZeroCount = ZeroCount,
            Count = Count,
            Sum = Sum,
            PositiveSpans = PositiveSpans,
            NegativeSpans = NegativeSpans,
            PositiveBuckets = Absolute(PositiveBuckets),
            NegativeBuckets = Absolute(NegativeBuckets),
            CustomValues = CustomValues,
        };
    }

    private static double[] Absolute(long[] deltas)
    {
        var result = new double[deltas.Length];
        long current = 0;
        for (int i = 0; i < deltas.Length; i++)
        {
            current += deltas[i];
            result[i] = current;
        }

        return result;
    }
}
