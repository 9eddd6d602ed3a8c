namespace TraceLink.Benchmarks.Load;

/// <summary>
/// Bytes per chunk encoding in chunk segment files. TraceLink's block <c>chunks</c> and Prometheus's
/// <c>chunks/000001</c> share the segment format (8-byte header, then <c>uvarint len | u8 encoding | data | u32
/// CRC</c> per chunk), so one reader splits both into float (XOR) and native-histogram bytes.
/// </summary>
internal readonly record struct ChunkFileStats(long FloatBytes, long HistogramBytes)
{
    private const int HeaderBytes = 8;

    public static ChunkFileStats Read(IEnumerable<string> files)
    {
        long floats = 0, histograms = 0;
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            int pos = HeaderBytes;
            while (pos < bytes.Length)
            {
                int start = pos;
                ulong len = 0;
                int shift = 0;
                byte b;
                do
                {
                    b = bytes[pos++];
                    len |= (ulong)(b & 0x7F) << shift;
                    shift += 7;
                }
                while ((b & 0x80) != 0);

                if (len == 0)
                {
                    // Prometheus pre-allocates segments; zero padding ends the chunks.
                    break;
                }

                byte encoding = bytes[pos];
                pos += 1 + (int)len + 4;
                if (encoding == 1)
                {
                    floats += pos - start;
                }
                else
                {
                    histograms += pos - start;
                }
            }

            floats += HeaderBytes;
        }

        return new ChunkFileStats(floats, histograms);
    }
}
