namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>Span arithmetic: absolute bucket indexes, unions and expansion to a wider layout.</summary>
internal static class BucketLayout
{
    public const ulong StaleNaNBits = 0x7ff0000000000002;

    public static bool IsStaleNaN(double v) => BitConverter.DoubleToUInt64Bits(v) == StaleNaNBits;

    public static int CountBuckets(BucketSpan[] spans)
    {
        int n = 0;
        foreach (var s in spans)
        {
            n += (int)s.Length;
        }

        return n;
    }

    public static int[] Indexes(BucketSpan[] spans)
    {
        var result = new int[CountBuckets(spans)];
        int idx = 0;
        int k = 0;
        for (int i = 0; i < spans.Length; i++)
        {
            idx += spans[i].Offset;
            for (int j = 0; j < spans[i].Length; j++)
            {
                result[k++] = idx++;
            }
        }

        return result;
    }

    public static bool SameSpans(BucketSpan[] a, BucketSpan[] b) => a.AsSpan().SequenceEqual(b);

    public static int[] Union(int[] a, int[] b)
    {
        var result = new List<int>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            if (j >= b.Length || (i < a.Length && a[i] < b[j]))
            {
                result.Add(a[i++]);
            }
            else if (i >= a.Length || b[j] < a[i])
            {
                result.Add(b[j++]);
            }
            else
            {
                result.Add(a[i]);
                i++;
                j++;
            }
        }

        return [.. result];
    }

    public static BucketSpan[] ToSpans(int[] indexes)
    {
        var spans = new List<BucketSpan>();
        int prevEnd = 0;
        int i = 0;
        while (i < indexes.Length)
        {
            int start = indexes[i];
            int len = 1;
            while (i + len < indexes.Length && indexes[i + len] == start + len)
            {
                len++;
            }

            spans.Add(new BucketSpan(spans.Count == 0 ? start : start - prevEnd, (uint)len));
            prevEnd = start + len;
            i += len;
        }

        return [.. spans];
    }

    /// <summary>Absolute counts of delta-encoded buckets.</summary>
    public static long[] Absolute(long[] deltas)
    {
        var abs = new long[deltas.Length];
        long cur = 0;
        for (int i = 0; i < deltas.Length; i++)
        {
            cur += deltas[i];
            abs[i] = cur;
        }

        return abs;
    }

    public static long[] ExpandDeltas(long[] deltas, int[] from, int[] to)
    {
        var abs = Absolute(deltas);
        var result = new long[to.Length];
        int j = 0;
        long prev = 0;
        for (int i = 0; i < to.Length; i++)
        {
            long v = 0;
            if (j < from.Length && from[j] == to[i])
            {
                v = abs[j++];
            }

            result[i] = v - prev;
            prev = v;
        }

        return result;
    }

    public static double[] ExpandAbsolute(double[] counts, int[] from, int[] to)
    {
        var result = new double[to.Length];
        int j = 0;
        for (int i = 0; i < to.Length; i++)
        {
            if (j < from.Length && from[j] == to[i])
            {
                result[i] = counts[j++];
            }
        }

        return result;
    }

    /// <summary>Whether any bucket of <paramref name="next"/> is below the same bucket of <paramref name="prev"/> (a vanished populated bucket counts).</summary>
    public static bool BucketsDecreased(int[] prevIdx, double[] prevAbs, int[] nextIdx, double[] nextAbs)
    {
        int j = 0;
        for (int i = 0; i < prevIdx.Length; i++)
        {
            while (j < nextIdx.Length && nextIdx[j] < prevIdx[i])
            {
                j++;
            }

            double next = j < nextIdx.Length && nextIdx[j] == prevIdx[i] ? nextAbs[j] : 0;
            if (next < prevAbs[i])
            {
                return true;
            }
        }

        return false;
    }

    public static double[] ToDouble(long[] abs)
    {
        var r = new double[abs.Length];
        for (int i = 0; i < abs.Length; i++)
        {
            r[i] = abs[i];
        }

        return r;
    }
}
