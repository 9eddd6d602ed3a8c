using TraceLink.Storage.Tsdb.Chunks;

namespace TraceLink.Storage.Tsdb.Head;

/// <summary>Structural checks of native histograms (Prometheus <c>Histogram.Validate</c>) and value equality for duplicate detection.</summary>
internal static class HistogramValidation
{
    public static string? Check(Histogram h)
    {
        if (BucketLayout.IsStaleNaN(h.Sum))
        {
            return null;
        }

        string? layout = CheckLayout(h.Schema, h.PositiveSpans, h.PositiveBuckets.Length, h.NegativeSpans, h.NegativeBuckets.Length, h.CustomValues);
        if (layout is not null)
        {
            return layout;
        }

        long total = 0;
        foreach (var list in (long[][])[h.PositiveBuckets, h.NegativeBuckets])
        {
            long cur = 0;
            foreach (var d in list)
            {
                cur += d;
                if (cur < 0)
                {
                    return "negative bucket count";
                }

                total += cur;
            }
        }

        ulong observed = (ulong)total + h.ZeroCount;
        if (double.IsNaN(h.Sum) ? observed > h.Count : observed != h.Count)
        {
            return $"count {h.Count} does not match {observed} observations in buckets";
        }

        return null;
    }

    public static string? Check(FloatHistogram h)
    {
        if (BucketLayout.IsStaleNaN(h.Sum))
        {
            return null;
        }

        string? layout = CheckLayout(h.Schema, h.PositiveSpans, h.PositiveBuckets.Length, h.NegativeSpans, h.NegativeBuckets.Length, h.CustomValues);
        if (layout is not null)
        {
            return layout;
        }

        foreach (var list in (double[][])[h.PositiveBuckets, h.NegativeBuckets])
        {
            foreach (var v in list)
            {
                if (v < 0)
                {
                    return "negative bucket count";
                }
            }
        }

        return h.ZeroCount < 0 || h.Count < 0 ? "negative count" : null;
    }

    public static bool Equal(Histogram a, Histogram b) =>
        a.Schema == b.Schema && Bits(a.ZeroThreshold) == Bits(b.ZeroThreshold) && a.ZeroCount == b.ZeroCount && a.Count == b.Count
        && Bits(a.Sum) == Bits(b.Sum) && a.PositiveSpans.AsSpan().SequenceEqual(b.PositiveSpans) && a.NegativeSpans.AsSpan().SequenceEqual(b.NegativeSpans)
        && a.PositiveBuckets.AsSpan().SequenceEqual(b.PositiveBuckets) && a.NegativeBuckets.AsSpan().SequenceEqual(b.NegativeBuckets)
        && a.CustomValues.AsSpan().SequenceEqual(b.CustomValues);

    public static bool Equal(FloatHistogram a, FloatHistogram b) =>
        a.Schema == b.Schema && Bits(a.ZeroThreshold) == Bits(b.ZeroThreshold) && Bits(a.ZeroCount) == Bits(b.ZeroCount) && Bits(a.Count) == Bits(b.Count)
        && Bits(a.Sum) == Bits(b.Sum) && a.PositiveSpans.AsSpan().SequenceEqual(b.PositiveSpans) && a.NegativeSpans.AsSpan().SequenceEqual(b.NegativeSpans)
        && a.PositiveBuckets.AsSpan().SequenceEqual(b.PositiveBuckets) && a.NegativeBuckets.AsSpan().SequenceEqual(b.NegativeBuckets)
        && a.CustomValues.AsSpan().SequenceEqual(b.CustomValues);

    private static ulong Bits(double d) => BitConverter.DoubleToUInt64Bits(d);

    private static string? CheckLayout(int schema, BucketSpan[] pos, int posCount, BucketSpan[] neg, int negCount, double[] custom)
    {
        if (schema == -53)
        {
            if (neg.Length > 0 || negCount > 0)
            {
                return "custom-bucket histogram with negative buckets";
            }

            for (int i = 1; i < custom.Length; i++)
            {
                if (!(custom[i] > custom[i - 1]))
                {
                    return "custom bounds not increasing";
                }
            }
        }
        else if (schema is < -4 or > 8)
        {
            return $"unsupported schema {schema}";
        }
        else if (custom.Length > 0)
        {
            return "custom values on an exponential histogram";
        }

        if (BucketLayout.CountBuckets(pos) != posCount)
        {
            return "positive spans do not match the number of positive buckets";
        }

        if (BucketLayout.CountBuckets(neg) != negCount)
        {
            return "negative spans do not match the number of negative buckets";
        }

        for (int i = 1; i < pos.Length; i++)
        {
            if (pos[i].Offset < 0)
            {
                return "negative offset in a later positive span";
            }
        }

        for (int i = 1; i < neg.Length; i++)
        {
            if (neg[i].Offset < 0)
            {
                return "negative offset in a later negative span";
            }
        }

        return null;
    }
}
