namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>
/// Joins a series' consecutive XOR chunks into longer ones when the head is written as a block. The head cuts
/// chunks at 120 samples as Prometheus does, so appends and recent reads stay cheap; in an immutable block every
/// chunk start costs a full timestamp, a raw 8-byte value, framing, a CRC and an index entry (about 30 bytes, 0.25
/// byte per sample at 120), which longer chunks spread thinner. The result is still a Prometheus XOR chunk, so
/// streamed remote read sends block chunks as they are. Histogram chunks pass through unchanged.
/// </summary>
internal static class BlockChunkMerger
{
    /// <summary>
    /// <paramref name="chunks"/> with every run of consecutive XOR chunks re-encoded into chunks of at most
    /// <paramref name="maxSamples"/> samples; the same list when nothing is joined.
    /// </summary>
    public static List<ChunkData> Merge(List<ChunkData> chunks, int maxSamples, XorAppender appender)
    {
        if (!HasJoinableRun(chunks, maxSamples))
        {
            return chunks;
        }

        var result = new List<ChunkData>(chunks.Count);
        var decoder = default(XorDecoder);
        foreach (var chunk in chunks)
        {
            if (chunk.Encoding != ChunkEncoding.Xor)
            {
                Flush(appender, result);
                result.Add(chunk);
                continue;
            }

            decoder.Reset(chunk.Data, 0, chunk.Data.Length);
            while (decoder.Next())
            {
                if (appender.Count >= maxSamples)
                {
                    Flush(appender, result);
                }

                appender.Append(decoder.T, decoder.V);
            }
        }

        Flush(appender, result);
        return result;
    }

    private static bool HasJoinableRun(List<ChunkData> chunks, int maxSamples)
    {
        for (int i = 1; i < chunks.Count; i++)
        {
            var a = chunks[i - 1];
            var b = chunks[i];
            if (a.Encoding == ChunkEncoding.Xor && b.Encoding == ChunkEncoding.Xor && a.Count + b.Count <= maxSamples)
            {
                return true;
            }
        }

        return false;
    }

    private static void Flush(XorAppender appender, List<ChunkData> result)
    {
        if (appender.Count > 0)
        {
            result.Add(appender.ToChunk());
            appender.Reset();
        }
    }
}
