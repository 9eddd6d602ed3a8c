namespace TraceLink.Storage.Tsdb.Blocks;

/// <summary>One series of a block as read from its index.</summary>
internal sealed record BlockSeries(Label[] Labels, List<BlockChunkRef> Chunks, SampleValueType LastType, ulong LastFloatBits);
