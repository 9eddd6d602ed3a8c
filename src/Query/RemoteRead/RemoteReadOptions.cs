namespace TraceLink.Query.RemoteRead;

/// <summary>Limits of the remote-read endpoint (Prometheus defaults).</summary>
public sealed class RemoteReadOptions
{
    /// <summary>Largest snappy-declared decoded request accepted.</summary>
    public int MaxDecodedBytes { get; set; } = 32 << 20;

    /// <summary>Samples allowed in one SAMPLES response; more gets 400 (streamed responses are not limited).</summary>
    public long SampleLimit { get; set; } = 50_000_000;

    /// <summary>A streamed frame is closed once its chunks exceed this many bytes.</summary>
    public int MaxBytesInFrame { get; set; } = 1 << 20;
}
