using TraceLink.Storage.Tsdb;

using V1 = Prometheus;
using V2 = Io.Prometheus.Write.V2;

namespace TraceLink.Ingest.RemoteWrite;

/// <summary>Turns the remote-write 1.0/2.0 histogram message fields into TSDB native histogram samples.</summary>
internal static class HistogramConversion
{
    public static void Append(
        ISeriesKeyAppender appender, int series, long t, bool isFloat, ulong countInt, double countFloat, ulong zeroInt, double zeroFloat, double sum, int schema, double zt,
        CounterResetHint hint, BucketSpan[] pos, BucketSpan[] neg, IList<long> posDeltas, IList<long> negDeltas, IList<double> posCounts, IList<double> negCounts, IList<double> custom)
    {
        if (isFloat)
        {
            appender.AppendFloatHistogram(series, t, new FloatHistogram
            {
                CounterResetHint = hint,
                Schema = schema,
                ZeroThreshold = zt,
                ZeroCount = zeroFloat,
                Count = countFloat,
                Sum = sum,
                PositiveSpans = pos,
                NegativeSpans = neg,
                PositiveBuckets = [.. posCounts],
                NegativeBuckets = [.. negCounts],
                CustomValues = [.. custom],
            });
        }
        else
        {
            appender.AppendHistogram(series, t, new Histogram
            {
                CounterResetHint = hint,
                Schema = schema,
                ZeroThreshold = zt,
                ZeroCount = zeroInt,
                Count = countInt,
                Sum = sum,
                PositiveSpans = pos,
                NegativeSpans = neg,
                PositiveBuckets = [.. posDeltas],
                NegativeBuckets = [.. negDeltas],
                CustomValues = [.. custom],
            });
        }
    }

    public static BucketSpan[] Spans(Google.Protobuf.Collections.RepeatedField<V1.BucketSpan> spans)
    {
        var r = new BucketSpan[spans.Count];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = new BucketSpan(spans[i].Offset, spans[i].Length);
        }

        return r;
    }

    public static BucketSpan[] Spans(Google.Protobuf.Collections.RepeatedField<V2.BucketSpan> spans)
    {
        var r = new BucketSpan[spans.Count];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = new BucketSpan(spans[i].Offset, spans[i].Length);
        }

        return r;
    }
}
