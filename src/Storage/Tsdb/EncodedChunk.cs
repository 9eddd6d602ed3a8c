namespace TraceLink.Storage.Tsdb;

/// <summary>
/// One chunk in Prometheus's chunkenc byte format. <see cref="Encoding"/> uses Prometheus's numbers
/// (1 XOR floats, 2 integer histogram, 3 float histogram), as remote-read <c>Chunk.Encoding</c> does.
/// </summary>
public readonly record struct EncodedChunk(byte Encoding, long MinTimeMs, long MaxTimeMs, byte[] Data);
