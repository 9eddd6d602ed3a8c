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

    /// <summary>Makes this a copy of <paramref name="other"/>, reusing its arrays where the lengths match; returns this.</summary>
    internal Histogram CopyFrom(Histogram other)
    {
        CounterResetHint = other.CounterResetHint;
        Schema = other.Schema;
        ZeroThreshold = other.ZeroThreshold;
        ZeroCount = other.ZeroCount;
        Count = other.Count;
        Sum = other.Sum;
        PositiveSpans = CopyInto(PositiveSpans, other.PositiveSpans);
        NegativeSpans = CopyInto(NegativeSpans, other.NegativeSpans);
        PositiveBuckets = CopyInto(PositiveBuckets, other.PositiveBuckets);
        NegativeBuckets = CopyInto(NegativeBuckets, other.NegativeBuckets);
        CustomValues = CopyInto(CustomValues, other.CustomValues);
        return this;
    }

    /// <summary>
    /// <paramref name="source"/>'s elements in <paramref name="target"/> when the lengths match, else in a new array
    /// (never <paramref name="source"/> itself, which its owner may overwrite later).
    /// </summary>
    internal static T[] CopyInto<T>(T[] target, T[] source)
    {
        if (source.Length == 0)
        {
            return [];
        }

        if (target.Length != source.Length || ReferenceEquals(target, source))
        {
            target = new T[source.Length];
        }

        source.CopyTo(target, 0);
        return target;
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
