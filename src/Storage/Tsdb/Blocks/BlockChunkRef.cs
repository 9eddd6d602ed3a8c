using TraceLink.Storage.Tsdb.Chunks;

namespace TraceLink.Storage.Tsdb.Blocks;

/// <summary>Where one chunk of a series lives in a block's <c>chunks</c> file.</summary>
internal sealed record BlockChunkRef(Block Block, ChunkEncoding Encoding, long MinTime, long MaxTime, int Count, long Offset, int Length)
{
    public ChunkData Load() => new(Encoding, MinTime, MaxTime, Count, Block.ReadChunk(Offset, Length));
}
