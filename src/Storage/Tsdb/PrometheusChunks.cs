using TraceLink.Storage.Tsdb.Chunks;
using TraceLink.Storage.Tsdb.Head;

namespace TraceLink.Storage.Tsdb;

/// <summary>Encodes a series' samples into Prometheus-compatible chunks (streamed remote read) and decodes such chunks.</summary>
public static class PrometheusChunks
{
    /// <summary>Encodes every remaining sample of <paramref name="iterator"/> into chunks ordered by time.</summary>
    public static IReadOnlyList<EncodedChunk> Encode(ISeriesIterator iterator)
    {
        ArgumentNullException.ThrowIfNull(iterator);
        var builder = new ChunkBuilder();
        SampleValueType type;
        while ((type = iterator.Next()) != SampleValueType.None)
        {
            switch (type)
            {
                case SampleValueType.Float: builder.AppendFloat(iterator.AtTimestamp, iterator.AtFloat); break;
                case SampleValueType.Histogram: builder.AppendHistogram(iterator.AtTimestamp, iterator.AtHistogram()); break;
                default: builder.AppendFloatHistogram(iterator.AtTimestamp, iterator.AtFloatHistogram()); break;
            }
        }

        builder.CloseOpen();
        var result = new EncodedChunk[builder.Closed.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var c = builder.Closed[i];
            result[i] = new EncodedChunk((byte)c.Encoding, c.MinTime, c.MaxTime, c.Data);
        }

        return result;
    }

    /// <summary>Decodes a chunk (encodings 1–3) into an iterator; throws <see cref="InvalidDataException"/> for corrupt or unknown chunks.</summary>
    public static ISeriesIterator Decode(byte encoding, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (encoding is < 1 or > 3)
        {
            throw new InvalidDataException($"unsupported chunk encoding {encoding}");
        }

        var samples = new List<Sample>();
        ChunkDecoder.Decode(new ChunkData((ChunkEncoding)encoding, 0, 0, 0, data), samples);
        return new SampleListIterator(samples);
    }
}
