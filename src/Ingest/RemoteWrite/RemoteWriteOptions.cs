namespace TraceLink.Ingest.RemoteWrite;

/// <summary>Limits of the remote-write receiver (Prometheus defaults).</summary>
public sealed class RemoteWriteOptions
{
    /// <summary>Largest compressed body accepted; larger gets 413.</summary>
    public int MaxBodyBytes { get; set; } = 32 << 20;

    /// <summary>Largest snappy-declared decoded size accepted; larger gets 400.</summary>
    public int MaxDecodedBytes { get; set; } = 32 << 20;
}
