namespace TraceLink.Storage.Spans;

/// <summary>
/// Settings of <see cref="FasterSpanStore"/>: where it lives, how long spans are kept and how much memory
/// the span log and the correlation index may use. Sizes are in bytes and powers of two where noted.
/// </summary>
public sealed class SpanStoreOptions
{
    /// <summary>Root data directory; the store keeps its files under <c>&lt;DataDirectory&gt;/spans/</c>.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Spans whose start is older than this are removed by retention (default 7 days).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often retention runs (default 1 minute).</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Least time between two compactions of the correlation index after retention (default 1 hour).</summary>
    public TimeSpan IndexCompactionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the correlation index is checkpointed (default 30 seconds).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Span-log page size (power of two); one span record must fit in a page (default 4 MiB).</summary>
    public long LogPageSize { get; set; } = 1L << 22;

    /// <summary>In-memory ring of the span log (power of two, at least two pages; default 64 MiB).</summary>
    public long LogMemorySize { get; set; } = 1L << 26;

    /// <summary>Span-log segment file size (power of two, at least one page; default 256 MiB); retention frees whole segments.</summary>
    public long LogSegmentSize { get; set; } = 1L << 28;

    /// <summary>Hash-table size of the correlation index in bytes (64 B per bucket; default 64 MiB).</summary>
    public long IndexTableSize { get; set; } = 1L << 26;

    /// <summary>In-memory part of the correlation index's hybrid log (default 512 MiB).</summary>
    public long IndexMemorySize { get; set; } = 1L << 29;

    /// <summary>Page size of the correlation index's hybrid log (default 4 MiB); must hold the largest posting chunk.</summary>
    public long IndexPageSize { get; set; } = 1L << 22;

    /// <summary>Segment size of the correlation index's hybrid log (default 1 GiB).</summary>
    public long IndexSegmentSize { get; set; } = 1L << 30;

    /// <summary>Postings per index chunk before the list continues in the next chunk (default 16384, 16 B each).</summary>
    public int MaxPostingsPerChunk { get; set; } = 16384;

    /// <summary>Distinct attribute names kept per scope in the tag catalog (default 1000).</summary>
    public int MaxTagNames { get; set; } = 1000;

    /// <summary>Distinct string values kept per attribute in the tag catalog (default 1000).</summary>
    public int MaxTagValuesPerName { get; set; } = 1000;

    /// <summary>Longest attribute value (in characters) the tag catalog records (default 256).</summary>
    public int MaxTagValueLength { get; set; } = 256;

    /// <summary>Components fed every appended span in log order, and replayed ones after a restart (the trace-group linker).</summary>
    public IList<ISpanIndexObserver> Observers { get; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line reason when a setting is invalid.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException("SpanStore: DataDirectory must be set.");
        }

        if (Retention <= TimeSpan.Zero || RetentionInterval <= TimeSpan.Zero || CheckpointInterval <= TimeSpan.Zero || IndexCompactionInterval < TimeSpan.Zero)
        {
            throw new ArgumentException("SpanStore: Retention, RetentionInterval and CheckpointInterval must be positive, IndexCompactionInterval not negative.");
        }

        RequirePowerOfTwo(LogPageSize, nameof(LogPageSize), 1L << 12);
        RequirePowerOfTwo(LogMemorySize, nameof(LogMemorySize), 2 * LogPageSize);
        RequirePowerOfTwo(LogSegmentSize, nameof(LogSegmentSize), LogPageSize);
        RequirePowerOfTwo(IndexTableSize, nameof(IndexTableSize), 1L << 12);
        RequirePowerOfTwo(IndexPageSize, nameof(IndexPageSize), 1L << 12);
        RequirePowerOfTwo(IndexMemorySize, nameof(IndexMemorySize), 2 * IndexPageSize);
        RequirePowerOfTwo(IndexSegmentSize, nameof(IndexSegmentSize), IndexPageSize);
        if (MaxPostingsPerChunk < 1 || (8L + (16L * MaxPostingsPerChunk) + 256) > IndexPageSize)
        {
            throw new ArgumentException($"SpanStore: MaxPostingsPerChunk must be positive and a chunk (16 B per posting) must fit in IndexPageSize ({IndexPageSize} B).");
        }

        if (MaxTagNames < 1 || MaxTagValuesPerName < 1 || MaxTagValueLength < 1)
        {
            throw new ArgumentException("SpanStore: tag catalog bounds must be positive.");
        }
    }

    private static void RequirePowerOfTwo(long value, string name, long minimum)
    {
        if (value < minimum || (value & (value - 1)) != 0)
        {
            throw new ArgumentException($"SpanStore: {name} must be a power of two of at least {minimum} bytes (got {value}).");
        }
    }
}
