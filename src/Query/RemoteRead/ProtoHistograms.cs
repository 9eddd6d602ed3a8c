using TraceLink.Storage.Tsdb;

using StoreHistogram = TraceLink.Storage.Tsdb.Histogram;

namespace TraceLink.Query.RemoteRead;

/// <summary>Converts storage histograms to the <c>prometheus.Histogram</c> protobuf message.</summary>
public static class ProtoHistograms
{
    /// <summary>An integer histogram as a remote-read protobuf histogram at <paramref name="t"/>.</summary>
    public static Prometheus.Histogram ToProto(StoreHistogram h, long t)
    {
        var p = new Prometheus.Histogram
        {
            CountInt = h.Count,
            ZeroCountInt = h.ZeroCount,
            Sum = h.Sum,
            Schema = h.Schema,
            ZeroThreshold = h.ZeroThreshold,
            ResetHint = (Prometheus.Histogram.Types.ResetHint)(int)h.CounterResetHint,
            Timestamp = t,
        };
        AddSpans(p.PositiveSpans, h.PositiveSpans);
        AddSpans(p.NegativeSpans, h.NegativeSpans);
        p.PositiveDeltas.Add(h.PositiveBuckets);
        p.NegativeDeltas.Add(h.NegativeBuckets);
        p.CustomValues.Add(h.CustomValues);
        return p;
    }

    /// <summary>A float histogram as a remote-read protobuf histogram at <paramref name="t"/>.</summary>
    public static Prometheus.Histogram ToProto(FloatHistogram h, long t)
    {
        var p = new Prometheus.Histogram
        {
            CountFloat = h.Count,
            ZeroCountFloat = h.ZeroCount,
            Sum = h.Sum,
            Schema = h.Schema,
            ZeroThreshold = h.ZeroThreshold,
            ResetHint = (Prometheus.Histogram.Types.ResetHint)(int)h.CounterResetHint,
            Timestamp = t,
        };
        AddSpans(p.PositiveSpans, h.PositiveSpans);
        AddSpans(p.NegativeSpans, h.NegativeSpans);
        p.PositiveCounts.Add(h.PositiveBuckets);
        p.NegativeCounts.Add(h.NegativeBuckets);
        p.CustomValues.Add(h.CustomValues);
        return p;
    }

    private static void AddSpans(Google.Protobuf.Collections.RepeatedField<Prometheus.BucketSpan> target, TraceLink.Storage.Tsdb.BucketSpan[] spans)
    {
        foreach (var s in spans)
        {
            target.Add(new Prometheus.BucketSpan { Offset = s.Offset, Length = s.Length });
        }
    }
}
