namespace TraceLink.Storage.Tsdb;

/// <summary>Settings of <see cref="TsdbStore"/>.</summary>
public sealed class TsdbOptions
{
    /// <summary>Directory of the TSDB (conventionally <c>&lt;data&gt;/tsdb</c>); holds <c>wal/</c> and <c>blocks/</c>.</summary>
    public string DataDirectory { get; set; } = "data/tsdb";

    /// <summary>Delete blocks whose newest sample is older than this relative to the newest data; zero keeps everything.</summary>
    public TimeSpan RetentionTime { get; set; } = TimeSpan.FromDays(15);

    /// <summary>Delete the oldest blocks while blocks plus WAL exceed this many bytes; zero means no size limit.</summary>
    public long RetentionSizeBytes { get; set; }

    /// <summary>How far behind a series' newest sample an out-of-order sample may be; zero rejects out-of-order samples.</summary>
    public TimeSpan OutOfOrderTimeWindow { get; set; }

    /// <summary>Time span of head data cut into one immutable block (Prometheus: 2h).</summary>
    public TimeSpan BlockDuration { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// Most samples in one float chunk of a block (120 to 65535). The head cuts at 120 as Prometheus does; writing a
    /// block joins consecutive chunks up to this size: fewer chunk headers and index entries (about 0.1 byte per
    /// sample at 15 s scrapes with 240, docs/format/tsdb-block.md), at the cost of decoding more of a chunk for a
    /// query that starts inside it.
    /// </summary>
    public int BlockChunkSamples { get; set; } = 240;

    /// <summary>Exemplars kept per series (bounded ring).</summary>
    public int ExemplarsPerSeries { get; set; } = 16;

    /// <summary>fsync the WAL on every commit (power-loss safety); without it, a commit survives a process crash only.</summary>
    public bool WalFsync { get; set; }

    /// <summary>Samples more than this far in the future (wall clock) are rejected, as Prometheus does.</summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>FASTER hash table of the postings index, in bytes (power of two; 64 B per bucket of 7 keys).</summary>
    public long IndexTableSize { get; set; } = 1L << 23;

    /// <summary>Memory of the postings index's FASTER hybrid log, in bytes (power of two); the rest stays on disk.</summary>
    public long IndexMemorySize { get; set; } = 1L << 28;
}
