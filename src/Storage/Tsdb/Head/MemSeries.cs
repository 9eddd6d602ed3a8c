using TraceLink.Storage.Tsdb.Blocks;
using TraceLink.Storage.Tsdb.Chunks;

namespace TraceLink.Storage.Tsdb.Head;

/// <summary>One series: identity, persisted block chunks, head chunks, out-of-order buffer and exemplars. Guarded by the store lock.</summary>
internal sealed class MemSeries(int id, Label[] labels, byte[] key, ulong hash)
{
    public int Id { get; } = id;

    public Label[] Labels { get; } = labels;

    /// <summary>The <see cref="SeriesKey"/> bytes; lookups compare these, not strings.</summary>
    public byte[] Key { get; } = key;

    public ulong Hash { get; } = hash;

    /// <summary>Commit that last gave this series a slot (store lock); dedupes a series named twice in a batch without a dictionary.</summary>
    public long CommitEpoch { get; set; }

    public int CommitSlot { get; set; }

    /// <summary>Next series with the same label hash (collision chain).</summary>
    public MemSeries? NextCollision { get; set; }

    /// <summary>Whether the FASTER index holds this series and its postings.</summary>
    public bool InIndex { get; set; }

    public List<BlockChunkRef> Persisted { get; } = [];

    /// <summary>
    /// Whether <see cref="Persisted"/> ascends in time without overlap (so queries binary-search it); null when not
    /// known since the list last changed. Whoever changes the list resets it.
    /// </summary>
    public bool? PersistedAscending { get; set; }

    public ChunkBuilder Head { get; } = new();

    /// <summary>Head chunks being written into a block by a cut in progress; still served by queries until attached.</summary>
    public List<ChunkData>? Cutting { get; set; }

    /// <summary>Out-of-order samples accepted within the window, sorted by time.</summary>
    public List<Sample>? OutOfOrder { get; set; }

    public ExemplarRing? Exemplars { get; set; }

    /// <summary>Newest in-order timestamp; <see cref="long.MinValue"/> when the series has no samples.</summary>
    public long MaxTime { get; set; } = long.MinValue;

    public long MinTime { get; set; } = long.MaxValue;

    public SampleValueType LastType { get; set; }

    public ulong LastFloatBits { get; set; }

    public object? LastHistogram { get; set; }

    /// <summary>WAL segment in which this series' labels were last logged.</summary>
    public int WalSegment { get; set; } = -1;

    public bool HasHeadData => !Head.IsEmpty || OutOfOrder is { Count: > 0 } || Cutting is not null;

    public bool Overlaps(long minT, long maxT) => MinTime <= maxT && MaxTime >= minT || OverlapsOutOfOrder(minT, maxT);

    public string GetLabelValue(string name)
    {
        foreach (var l in Labels)
        {
            if (string.Equals(l.Name, name, StringComparison.Ordinal))
            {
                return l.Value;
            }
        }

        return string.Empty;
    }

    private bool OverlapsOutOfOrder(long minT, long maxT) =>
        OutOfOrder is { Count: > 0 } o && o[0].T <= maxT && o[^1].T >= minT;
}
