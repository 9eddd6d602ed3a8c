namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>Decodes any supported chunk into samples.</summary>
internal static class ChunkDecoder
{
    public static void Decode(ChunkData chunk, List<Sample> output)
    {
        if (chunk.Encoding == ChunkEncoding.Xor)
        {
            DecodeXor(chunk.Data, output);
        }
        else
        {
            HistogramChunkCodec.Decode(chunk, output);
        }
    }

    public static void DecodeXor(byte[] data, List<Sample> output)
    {
        var decoder = default(XorDecoder);
        decoder.Reset(data, 0, data.Length);
        while (decoder.Next())
        {
            output.Add(Sample.Float(decoder.T, decoder.V));
        }
    }
}
