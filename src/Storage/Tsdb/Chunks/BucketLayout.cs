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

    /// <summary>Whether every bucket index of <paramref name="spans"/> is in <paramref name="indexes"/> (ascending).</summary>
    public static bool IsSubset(BucketSpan[] spans, int[] indexes)
    {
        var cursor = new IndexCursor(spans);
        int j = 0;
        while (cursor.Next(out int index))
        {
            while (j < indexes.Length && indexes[j] < index)
            {
                j++;
            }

            if (j == indexes.Length || indexes[j] != index)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Writes delta-encoded buckets laid out by <paramref name="spans"/> as deltas over the wider layout
    /// <paramref name="to"/> (a superset, see <see cref="IsSubset"/>); buckets absent from <paramref name="spans"/> are 0.
    /// </summary>
    public static void WidenDeltas(BucketSpan[] spans, long[] deltas, int[] to, Span<long> output)
    {
        var cursor = new IndexCursor(spans);
        int next = 0;
        bool more = deltas.Length > 0 && cursor.Next(out next);
        int from = 0;
        long absolute = 0, previous = 0;
        for (int i = 0; i < to.Length; i++)
        {
            long value = 0;
            if (more && next == to[i])
            {
                absolute += deltas[from++];
                value = absolute;
                more = from < deltas.Length && cursor.Next(out next);
            }

            output[i] = value - previous;
            previous = value;
        }
    }

    /// <summary>The same widening for absolute (float histogram) bucket counts.</summary>
    public static void WidenAbsolute(BucketSpan[] spans, double[] counts, int[] to, Span<double> output)
    {
        var cursor = new IndexCursor(spans);
        int next = 0;
        bool more = counts.Length > 0 && cursor.Next(out next);
        int from = 0;
        for (int i = 0; i < to.Length; i++)
        {
            output[i] = 0;
            if (more && next == to[i])
            {
                output[i] = counts[from++];
                more = from < counts.Length && cursor.Next(out next);
            }
        }
    }

    /// <summary>
    /// Whether any delta-encoded bucket of the next histogram is below the same bucket of the previous one (a vanished
    /// populated bucket counts); walks both span layouts in place, so the head's reset check allocates nothing.
    /// </summary>
    public static bool BucketsDecreased(BucketSpan[] prevSpans, long[] prevDeltas, BucketSpan[] nextSpans, long[] nextDeltas)
    {
        var prev = new IndexCursor(prevSpans);
        var next = new IndexCursor(nextSpans);
        long prevAbs = 0, nextAbs = 0;
        int nextPos = -1, nextIdx = 0;
        bool nextLeft = true;
        for (int i = 0; i < prevDeltas.Length && prev.Next(out int prevIdx); i++)
        {
            prevAbs += prevDeltas[i];
            while (nextLeft && (nextPos < 0 || nextIdx < prevIdx))
            {
                if (nextPos + 1 < nextDeltas.Length && next.Next(out nextIdx))
                {
                    nextAbs += nextDeltas[++nextPos];
                }
                else
                {
                    nextLeft = false;
                }
            }

            long value = nextLeft && nextIdx == prevIdx ? nextAbs : 0;
            if (value < prevAbs)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The same check on absolute (float histogram) bucket counts.</summary>
    public static bool BucketsDecreased(BucketSpan[] prevSpans, double[] prevCounts, BucketSpan[] nextSpans, double[] nextCounts)
    {
        var prev = new IndexCursor(prevSpans);
        var next = new IndexCursor(nextSpans);
        int nextPos = -1, nextIdx = 0;
        bool nextLeft = true;
        for (int i = 0; i < prevCounts.Length && prev.Next(out int prevIdx); i++)
        {
            while (nextLeft && (nextPos < 0 || nextIdx < prevIdx))
            {
                if (nextPos + 1 < nextCounts.Length && next.Next(out nextIdx))
                {
                    nextPos++;
                }
                else
                {
                    nextLeft = false;
                }
            }

            double value = nextLeft && nextIdx == prevIdx ? nextCounts[nextPos] : 0;
            if (value < prevCounts[i])
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Walks the absolute bucket indexes of a span layout.</summary>
    private struct IndexCursor(BucketSpan[] spans)
    {
        private int _span = -1;
        private uint _left;
        private int _index;

        public bool Next(out int index)
        {
            while (_left == 0)
            {
                if (++_span >= spans.Length)
                {
                    index = 0;
                    return false;
                }

                _index += spans[_span].Offset;
                _left = spans[_span].Length;
            }

            index = _index++;
            _left--;
            return true;
        }
    }
}
