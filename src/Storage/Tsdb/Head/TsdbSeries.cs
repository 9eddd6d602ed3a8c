using TraceLink.Storage.Tsdb.Blocks;
using TraceLink.Storage.Tsdb.Chunks;

namespace TraceLink.Storage.Tsdb.Head;

/// <summary>A selected series: a snapshot of its chunks taken under the store lock, decoded lazily by <see cref="Iterator"/>.</summary>
internal sealed class TsdbSeries(Label[] labels, List<BlockChunkRef> persisted, List<ChunkData> head, Sample[] outOfOrder, long minT, long maxT) : ISeries
{
    public IReadOnlyList<Label> Labels => labels;

    /// <summary>The store's series id (the label-order sort key of a select).</summary>
    internal int Id { get; init; }

    public ISeriesIterator Iterator() => Streamable() ? new ChunkSeriesIterator(persisted, head, minT, maxT) : new SampleListIterator(Materialize());

    /// <summary>
    /// Whether the chunks in range ascend without overlap and no out-of-order sample is pending: then merging,
    /// sorting and de-duplicating are no-ops and the chunks can be streamed. Otherwise (out-of-order data) the samples
    /// are materialised and merged.
    /// </summary>
    private bool Streamable()
    {
        if (outOfOrder.Length > 0)
        {
            return false;
        }

        long last = long.MinValue;
        bool any = false;
        foreach (var r in persisted)
        {
            if (r.MaxTime >= minT && r.MinTime <= maxT)
            {
                if ((any && r.MinTime <= last) || r.MaxTime < r.MinTime)
                {
                    return false;
                }

                last = r.MaxTime;
                any = true;
            }
        }

        foreach (var c in head)
        {
            if (c.MaxTime >= minT && c.MinTime <= maxT)
            {
                if ((any && c.MinTime <= last) || c.MaxTime < c.MinTime)
                {
                    return false;
                }

                last = c.MaxTime;
                any = true;
            }
        }

        return true;
    }

    internal List<Sample> Materialize()
    {
        var all = new List<Sample>();
        foreach (var r in persisted)
        {
            if (r.MaxTime >= minT && r.MinTime <= maxT)
            {
                ChunkDecoder.Decode(r.Load(), all);
            }
        }

        foreach (var c in head)
        {
            if (c.MaxTime >= minT && c.MinTime <= maxT)
            {
                ChunkDecoder.Decode(c, all);
            }
        }

        all.AddRange(outOfOrder);
        bool sorted = true;
        for (int i = 1; i < all.Count; i++)
        {
            if (all[i].T <= all[i - 1].T)
            {
                sorted = false;
                break;
            }
        }

        if (!sorted)
        {
            // Stable order keeps the first-written sample when a timestamp repeats; the repeat is dropped.
            var keyed = new (long T, int I)[all.Count];
            for (int i = 0; i < all.Count; i++)
            {
                keyed[i] = (all[i].T, i);
            }

            Array.Sort(keyed);
            var merged = new List<Sample>(all.Count);
            long last = long.MinValue;
            bool any = false;
            foreach (var (t, i) in keyed)
            {
                if (any && t == last)
                {
                    continue;
                }

                merged.Add(all[i]);
                last = t;
                any = true;
            }

            all = merged;
        }

        int start = 0;
        while (start < all.Count && all[start].T < minT)
        {
            start++;
        }

        int end = all.Count;
        while (end > start && all[end - 1].T > maxT)
        {
            end--;
        }

        return start == 0 && end == all.Count ? all : all.GetRange(start, end - start);
    }
}
