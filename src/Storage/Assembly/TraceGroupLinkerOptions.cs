namespace TraceLink.Storage.Assembly;

/// <summary>Where and how large the ingest-time trace-group index is.</summary>
public sealed class TraceGroupLinkerOptions
{
    /// <summary>The server's data directory; the linker keeps its FasterKV under <c>&lt;data&gt;/spans/groups/</c>.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>FasterKV hash-table size in bytes (64 B per bucket; about 32 B per live key keeps overflow low).</summary>
    public long IndexSizeBytes { get; init; } = 1L << 26;

    /// <summary>In-memory part of the FasterKV hybrid log, in bytes.</summary>
    public long MemorySizeBytes { get; init; } = 1L << 28;

    /// <summary>FasterKV page size in bytes; the largest record (a 64-locator member chunk) is far below it.</summary>
    public long PageSizeBytes { get; init; } = 1L << 22;

    /// <summary>
    /// Records the linker keeps in memory between batches (its write-back cache is emptied when it grows past
    /// this); recent groups and keys are then found without a FASTER read.
    /// </summary>
    public int CacheRecords { get; init; } = 1 << 16;

    /// <summary>Time tolerances shared with the query-time search.</summary>
    public TraceAssemblerOptions Assembly { get; init; } = new();
}
