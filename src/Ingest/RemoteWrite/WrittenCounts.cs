namespace TraceLink.Ingest.RemoteWrite;

/// <summary>What one request wrote, for the remote-write 2.0 response headers.</summary>
internal struct WrittenCounts
{
    public int Samples;
    public int Histograms;
    public int Exemplars;
}
