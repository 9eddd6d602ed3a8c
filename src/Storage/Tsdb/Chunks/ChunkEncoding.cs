namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>Chunk encodings, numbered as Prometheus <c>chunkenc.Encoding</c> and remote-read <c>Chunk.Encoding</c>.</summary>
internal enum ChunkEncoding : byte
{
    Xor = 1,
    Histogram = 2,
    FloatHistogram = 3,
}
