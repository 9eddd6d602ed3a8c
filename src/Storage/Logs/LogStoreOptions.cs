namespace TraceLink.Storage.Logs;

/// <summary>Settings of the derived-log store.</summary>
public sealed class LogStoreOptions
{
    /// <summary>Directory holding the segment files; created if missing.</summary>
    public required string Directory { get; set; }

    /// <summary>Size at which the active segment is closed and a new one started.</summary>
    public long SegmentBytes { get; set; } = 64L << 20;

    /// <summary>Total size kept; the oldest whole segments are deleted beyond it. 0 keeps everything.</summary>
    public long MaxBytes { get; set; } = 4L << 30;

    /// <summary>
    /// Whether every append is fsynced before it returns. Off, appends are written to the OS (they survive a
    /// process crash) and fsynced at segment roll, <see cref="LogStore.Sync"/> and dispose.
    /// </summary>
    public bool SyncEveryAppend { get; set; }
}
