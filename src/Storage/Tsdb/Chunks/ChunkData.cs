namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>An encoded chunk payload (Prometheus chunkenc bytes, header included) and its time range.</summary>
internal sealed record ChunkData(ChunkEncoding Encoding, long MinTime, long MaxTime, int Count, byte[] Data);
