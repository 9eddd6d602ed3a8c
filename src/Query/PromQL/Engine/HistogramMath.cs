using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

/// <summary>
/// Float native histogram arithmetic ported from Prometheus model/histogram (Add, Sub, Mul, reduce resolution,
/// zero-bucket reconciliation, reset detection, bucket bounds). Results are always compact (no empty buckets).
/// </summary>
internal static class HistogramMath
{
    public const int CustomBucketsSchema = -53;

    public static bool UsesCustomBuckets(FloatHistogram h) => h.Schema == CustomBucketsSchema;

    public static FloatHistogram Copy(FloatHistogram h) => new()
    {
        CounterResetHint = h.CounterResetHint,
        Schema = h.Schema,
        ZeroThreshold = h.ZeroThreshold,
        ZeroCount = h.ZeroCount,
        Count = h.Count,
        Sum = h.Sum,
        PositiveSpans = (BucketSpan[])h.PositiveSpans.Clone(),
        NegativeSpans = (BucketSpan[])h.NegativeSpans.Clone(),
        PositiveBuckets = (double[])h.PositiveBuckets.Clone(),
        NegativeBuckets = (double[])h.NegativeBuckets.Clone(),
        CustomValues = h.CustomValues,
    };

    /// <summary>Converts an integer histogram (delta-encoded buckets) to float.</summary>
    public static FloatHistogram FromInt(Histogram h)
    {
        static double[] Abs(long[] deltas)
        {
            var r = new double[deltas.Length];
            long cur = 0;
            for (var i = 0; i < deltas.Length; i++)
            {
                cur += deltas[i];
                r[i] = cur;
            }

            return r;
        }

        return new FloatHistogram
        {
            CounterResetHint = h.CounterResetHint,
            Schema = h.Schema,
            ZeroThreshold = h.ZeroThreshold,
            ZeroCount = h.ZeroCount,
            Count = h.Count,
            Sum = h.Sum,
            PositiveSpans = (BucketSpan[])h.PositiveSpans.Clone(),
            NegativeSpans = (BucketSpan[])h.NegativeSpans.Clone(),
            PositiveBuckets = Abs(h.PositiveBuckets),
            NegativeBuckets = Abs(h.NegativeBuckets),
            CustomValues = h.CustomValues,
        };
    }

    public static List<KeyValuePair<int, double>> Expand(BucketSpan[] spans, double[] buckets)
    {
        var list = new List<KeyValuePair<int, double>>(buckets.Length);
        var idx = 0;
        var bi = 0;
        for (var s = 0; s < spans.Length; s++)
        {
            idx += spans[s].Offset;
            for (var j = 0; j < spans[s].Length; j++)
            {
                if (bi < buckets.Length)
                {
                    list.Add(new KeyValuePair<int, double>(idx, buckets[bi]));
                }

                bi++;
                idx++;
            }
        }

        return list;
    }

    public static (BucketSpan[] Spans, double[] Buckets) Build(List<KeyValuePair<int, double>> sorted)
    {
        var spans = new List<BucketSpan>();
        var buckets = new List<double>(sorted.Count);
        var prevEnd = 0;
        var first = true;
        var curLen = 0u;
        var curOffset = 0;
        foreach (var (idx, count) in sorted)
        {
            if (count == 0)
            {
                continue;
            }

            if (!first && idx == prevEnd)
            {
                curLen++;
            }
            else
            {
                if (!first)
                {
                    spans.Add(new BucketSpan(curOffset, curLen));
                }

                curOffset = first ? idx : idx - prevEnd;
                curLen = 1;
                first = false;
            }

            buckets.Add(count);
            prevEnd = idx + 1;
        }

        if (!first)
        {
            spans.Add(new BucketSpan(curOffset, curLen));
        }

        return (spans.ToArray(), buckets.ToArray());
    }

    private static List<KeyValuePair<int, double>> Reduce(List<KeyValuePair<int, double>> list, int from, int to)
    {
        if (from == to)
        {
            return list;
        }

        var r = new List<KeyValuePair<int, double>>(list.Count);
        foreach (var (idx, c) in list)
        {
            var t = ((idx - 1) >> (from - to)) + 1;
            if (r.Count > 0 && r[^1].Key == t)
            {
                r[^1] = new KeyValuePair<int, double>(t, r[^1].Value + c);
            }
            else
            {
                r.Add(new KeyValuePair<int, double>(t, c));
            }
        }

        return r;
    }

    private static List<KeyValuePair<int, double>> Merge(List<KeyValuePair<int, double>> a, List<KeyValuePair<int, double>> b, double sign)
    {
        var r = new List<KeyValuePair<int, double>>(a.Count + b.Count);
        int i = 0, j = 0;
        while (i < a.Count || j < b.Count)
        {
            if (j >= b.Count || (i < a.Count && a[i].Key < b[j].Key))
            {
                r.Add(a[i++]);
            }
            else if (i >= a.Count || b[j].Key < a[i].Key)
            {
                r.Add(new KeyValuePair<int, double>(b[j].Key, sign * b[j].Value));
                j++;
            }
            else
            {
                r.Add(new KeyValuePair<int, double>(a[i].Key, a[i].Value + (sign * b[j].Value)));
                i++;
                j++;
            }
        }

        return r;
    }

    /// <summary>Sets the histogram to the compact representation of the given expanded buckets.</summary>
    private static void Set(FloatHistogram h, List<KeyValuePair<int, double>> pos, List<KeyValuePair<int, double>> neg)
    {
        (h.PositiveSpans, h.PositiveBuckets) = Build(pos);
        (h.NegativeSpans, h.NegativeBuckets) = Build(neg);
    }

    public static FloatHistogram Compact(FloatHistogram h)
    {
        Set(h, Expand(h.PositiveSpans, h.PositiveBuckets), Expand(h.NegativeSpans, h.NegativeBuckets));
        return h;
    }

    public static FloatHistogram CopyToSchema(FloatHistogram h, int schema)
    {
        var c = Copy(h);
        if (schema == h.Schema)
        {
            return c;
        }

        c.Schema = schema;
        Set(c, Reduce(Expand(h.PositiveSpans, h.PositiveBuckets), h.Schema, schema), Reduce(Expand(h.NegativeSpans, h.NegativeBuckets), h.Schema, schema));
        return c;
    }

    public static bool BucketsMatch(double[] a, double[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Adds (sign 1) or subtracts (sign -1) <paramref name="other"/> into <paramref name="h"/>; null when incompatible (error text in <paramref name="error"/>).</summary>
    public static FloatHistogram? AddInPlace(FloatHistogram h, FloatHistogram other, double sign, out string? error)
    {
        error = null;
        if (UsesCustomBuckets(h) != UsesCustomBuckets(other))
        {
            error = "incompatible schema";
            return null;
        }

        if (UsesCustomBuckets(h) && !BucketsMatch(h.CustomValues, other.CustomValues))
        {
            error = "incompatible bounds";
            return null;
        }

        if (sign > 0)
        {
            h.CounterResetHint = (h.CounterResetHint, other.CounterResetHint) switch
            {
                var (a, b) when a == b => a,
                (CounterResetHint.Gauge, _) => CounterResetHint.Gauge,
                (_, CounterResetHint.Gauge) => CounterResetHint.Gauge,
                _ => CounterResetHint.Unknown,
            };
        }

        double otherZero = 0;
        if (!UsesCustomBuckets(h))
        {
            otherZero = ReconcileZeroBuckets(h, other);
        }

        h.ZeroCount += sign * otherZero;
        h.Count += sign * other.Count;
        h.Sum += sign * other.Sum;

        var hp = Expand(h.PositiveSpans, h.PositiveBuckets);
        var hn = Expand(h.NegativeSpans, h.NegativeBuckets);
        var op = Expand(other.PositiveSpans, other.PositiveBuckets);
        var on = Expand(other.NegativeSpans, other.NegativeBuckets);
        if (!UsesCustomBuckets(h))
        {
            if (other.Schema < h.Schema)
            {
                hp = Reduce(hp, h.Schema, other.Schema);
                hn = Reduce(hn, h.Schema, other.Schema);
                h.Schema = other.Schema;
            }
            else if (other.Schema > h.Schema)
            {
                op = Reduce(op, other.Schema, h.Schema);
                on = Reduce(on, other.Schema, h.Schema);
            }

            // Buckets of the other histogram inside the (possibly widened) zero bucket were already counted there.
            op = DropBelow(op, h.ZeroThreshold, h.Schema, false);
            on = DropBelow(on, h.ZeroThreshold, h.Schema, false);
        }

        Set(h, Merge(hp, op, sign), Merge(hn, on, sign));
        return h;
    }

    private static List<KeyValuePair<int, double>> DropBelow(List<KeyValuePair<int, double>> list, double threshold, int schema, bool unused)
    {
        _ = unused;
        if (threshold == 0 || list.Count == 0)
        {
            return list;
        }

        var r = new List<KeyValuePair<int, double>>(list.Count);
        foreach (var kv in list)
        {
            if (GetBound(kv.Key, schema, []) > threshold)
            {
                r.Add(kv);
            }
        }

        return r;
    }

    /// <summary>Makes both zero thresholds equal (widening <paramref name="h"/> as needed); returns other's zero count at that threshold.</summary>
    private static double ReconcileZeroBuckets(FloatHistogram h, FloatHistogram other)
    {
        var otherZeroCount = other.ZeroCount;
        var otherThreshold = other.ZeroThreshold;
        while (otherThreshold != h.ZeroThreshold)
        {
            if (h.ZeroThreshold > otherThreshold)
            {
                (otherZeroCount, otherThreshold) = ZeroCountForLargerThreshold(other, h.ZeroThreshold);
            }

            if (otherThreshold > h.ZeroThreshold)
            {
                (h.ZeroCount, h.ZeroThreshold) = ZeroCountForLargerThreshold(h, otherThreshold);
                TrimBucketsInZeroBucket(h);
            }
        }

        return otherZeroCount;
    }

    private static (double Count, double Threshold) ZeroCountForLargerThreshold(FloatHistogram h, double larger)
    {
        if (larger == h.ZeroThreshold)
        {
            return (h.ZeroCount, larger);
        }

        while (true)
        {
            var count = h.ZeroCount;
            var changed = false;
            foreach (var (idx, c) in Expand(h.PositiveSpans, h.PositiveBuckets))
            {
                var lower = GetBound(idx - 1, h.Schema, h.CustomValues);
                var upper = GetBound(idx, h.Schema, h.CustomValues);
                if (lower >= larger)
                {
                    break;
                }

                count += c;
                if (upper > larger)
                {
                    if (c != 0)
                    {
                        larger = upper;
                        changed = true;
                    }

                    break;
                }
            }

            if (changed)
            {
                continue;
            }

            foreach (var (idx, c) in Expand(h.NegativeSpans, h.NegativeBuckets))
            {
                var upper = GetBound(idx - 1, h.Schema, h.CustomValues);
                var lower = GetBound(idx, h.Schema, h.CustomValues);
                if (upper >= larger)
                {
                    break;
                }

                count += c;
                if (lower > larger)
                {
                    if (c != 0)
                    {
                        larger = lower;
                        changed = true;
                    }

                    break;
                }
            }

            if (!changed)
            {
                return (count, larger);
            }
        }
    }

    private static void TrimBucketsInZeroBucket(FloatHistogram h)
    {
        var pos = Expand(h.PositiveSpans, h.PositiveBuckets);
        var neg = Expand(h.NegativeSpans, h.NegativeBuckets);
        pos.RemoveAll(kv => GetBound(kv.Key - 1, h.Schema, h.CustomValues) < h.ZeroThreshold);
        neg.RemoveAll(kv => GetBound(kv.Key - 1, h.Schema, h.CustomValues) < h.ZeroThreshold);
        Set(h, pos, neg);
    }

    public static FloatHistogram Mul(FloatHistogram h, double f)
    {
        h.ZeroCount *= f;
        h.Count *= f;
        h.Sum *= f;
        for (var i = 0; i < h.PositiveBuckets.Length; i++)
        {
            h.PositiveBuckets[i] *= f;
        }

        for (var i = 0; i < h.NegativeBuckets.Length; i++)
        {
            h.NegativeBuckets[i] *= f;
        }

        return h;
    }

    public static FloatHistogram Div(FloatHistogram h, double f)
    {
        h.ZeroCount /= f;
        h.Count /= f;
        h.Sum /= f;
        for (var i = 0; i < h.PositiveBuckets.Length; i++)
        {
            h.PositiveBuckets[i] /= f;
        }

        for (var i = 0; i < h.NegativeBuckets.Length; i++)
        {
            h.NegativeBuckets[i] /= f;
        }

        return h;
    }

    /// <summary>Whether <paramref name="h"/> looks like a counter reset relative to <paramref name="previous"/> (DetectReset).</summary>
    public static bool DetectReset(FloatHistogram h, FloatHistogram previous)
    {
        if (h.CounterResetHint == CounterResetHint.CounterReset)
        {
            return true;
        }

        if (h.CounterResetHint == CounterResetHint.NotCounterReset)
        {
            return false;
        }

        if (h.Count < previous.Count)
        {
            return true;
        }

        if (UsesCustomBuckets(h) != UsesCustomBuckets(previous) || (UsesCustomBuckets(h) && !BucketsMatch(h.CustomValues, previous.CustomValues)))
        {
            return true;
        }

        if (h.Schema > previous.Schema || h.ZeroThreshold < previous.ZeroThreshold)
        {
            return true;
        }

        var (prevZero, newThreshold) = ZeroCountForLargerThreshold(previous, h.ZeroThreshold);
        if (newThreshold != h.ZeroThreshold || h.ZeroCount < prevZero)
        {
            return true;
        }

        return BucketsReset(h, Expand(h.PositiveSpans, h.PositiveBuckets), Reduce(Expand(previous.PositiveSpans, previous.PositiveBuckets), previous.Schema, h.Schema))
            || BucketsReset(h, Expand(h.NegativeSpans, h.NegativeBuckets), Reduce(Expand(previous.NegativeSpans, previous.NegativeBuckets), previous.Schema, h.Schema));
    }

    private static bool BucketsReset(FloatHistogram h, List<KeyValuePair<int, double>> curr, List<KeyValuePair<int, double>> prev)
    {
        var j = 0;
        foreach (var (idx, c) in prev)
        {
            if (c == 0 || (!UsesCustomBuckets(h) && h.ZeroThreshold > 0 && GetBound(idx, h.Schema, h.CustomValues) <= h.ZeroThreshold))
            {
                continue;
            }

            while (j < curr.Count && curr[j].Key < idx)
            {
                j++;
            }

            if (j >= curr.Count || curr[j].Key != idx || curr[j].Value < c)
            {
                return true;
            }
        }

        return false;
    }

    private static readonly double[][] ExponentialBounds = BuildBounds();

    private static double[][] BuildBounds()
    {
        var r = new double[9][];
        for (var s = 0; s <= 8; s++)
        {
            var n = 1 << s;
            r[s] = new double[n];
            for (var k = 0; k < n; k++)
            {
                r[s][k] = Math.Pow(2, (double)k / n) / 2;
            }
        }

        return r;
    }

    /// <summary>Upper bound of bucket <paramref name="idx"/> (Prometheus getBound / custom bounds).</summary>
    public static double GetBound(int idx, int schema, double[] customValues)
    {
        if (schema == CustomBucketsSchema)
        {
            if (idx < 0)
            {
                return double.NegativeInfinity;
            }

            return idx < customValues.Length ? customValues[idx] : double.PositiveInfinity;
        }

        if (schema < 0)
        {
            var exp = (long)idx << -schema;
            if (exp == 1024)
            {
                return double.MaxValue;
            }

            return exp > 1100 ? double.PositiveInfinity : Math.ScaleB(1, (int)Math.Max(exp, -1100));
        }

        var fracIdx = idx & ((1 << schema) - 1);
        var frac = ExponentialBounds[Math.Min(schema, 8)][fracIdx];
        var e = (idx >> schema) + 1;
        if (frac == 0.5 && e == 1025)
        {
            return double.MaxValue;
        }

        return Math.ScaleB(frac, e);
    }

    /// <summary>One bucket for iteration in ascending value order.</summary>
    public readonly record struct Bucket(double Lower, double Upper, double Count, bool IsZero);

    /// <summary>All buckets ascending: negative (most negative first), zero bucket, positive.</summary>
    public static List<Bucket> AllBuckets(FloatHistogram h, bool clipToZeroBucket = false)
    {
        var list = new List<Bucket>();
        var neg = Expand(h.NegativeSpans, h.NegativeBuckets);
        for (var i = neg.Count - 1; i >= 0; i--)
        {
            var (idx, c) = neg[i];
            var lower = -GetBound(idx, h.Schema, h.CustomValues);
            var upper = -GetBound(idx - 1, h.Schema, h.CustomValues);
            if (clipToZeroBucket && upper > -h.ZeroThreshold)
            {
                upper = -h.ZeroThreshold;
            }

            list.Add(new Bucket(lower, upper, c, false));
        }

        if (!UsesCustomBuckets(h) && (h.ZeroThreshold != 0 || h.ZeroCount != 0))
        {
            list.Add(new Bucket(-h.ZeroThreshold, h.ZeroThreshold, h.ZeroCount, true));
        }

        foreach (var (idx, c) in Expand(h.PositiveSpans, h.PositiveBuckets))
        {
            var lower = GetBound(idx - 1, h.Schema, h.CustomValues);
            var upper = GetBound(idx, h.Schema, h.CustomValues);
            if (clipToZeroBucket && !UsesCustomBuckets(h) && lower < h.ZeroThreshold)
            {
                lower = h.ZeroThreshold;
            }

            list.Add(new Bucket(lower, upper, c, false));
        }

        return list;
    }

    public static bool HasNegative(FloatHistogram h) => h.NegativeBuckets.Length > 0;

    public static bool HasPositive(FloatHistogram h) => h.PositiveBuckets.Length > 0;

    public static bool IsStale(FloatHistogram h) => BitConverter.DoubleToInt64Bits(h.Sum) == StaleNaN.Bits;
}
