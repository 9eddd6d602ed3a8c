namespace TraceLink.Ingest.Otlp;

/// <summary>Limits of the OTLP/HTTP trace receiver.</summary>
public sealed class OtlpOptions
{
    /// <summary>Largest accepted request body after decompression; larger bodies get 413.</summary>
    public long MaxRequestBytes { get; set; } = 16L << 20;
}
