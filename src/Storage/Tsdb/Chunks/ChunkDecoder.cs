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
        int count = (data[0] << 8) | data[1];
        var r = new BitReader(data, 2, data.Length - 2);
        long t = 0, tDelta = 0;
        double v = 0;
        byte leading = 0xFF, trailing = 0;
        for (int n = 0; n < count; n++)
        {
            if (n == 0)
            {
                t = r.ReadVarint();
                v = BitConverter.UInt64BitsToDouble(r.ReadBits(64));
            }
            else if (n == 1)
            {
                tDelta = (long)r.ReadUVarint();
                t += tDelta;
                v = r.ReadXor(v, ref leading, ref trailing);
            }
            else
            {
                int prefix = 0;
                for (int i = 0; i < 4; i++)
                {
                    prefix <<= 1;
                    if (!r.ReadBit())
                    {
                        break;
                    }

                    prefix |= 1;
                }

                int size = prefix switch { 0b10 => 14, 0b110 => 17, 0b1110 => 20, 0b1111 => 64, _ => 0 };
                long dod = 0;
                if (size == 64)
                {
                    dod = (long)r.ReadBits(64);
                }
                else if (size > 0)
                {
                    ulong bits = r.ReadBits(size);
                    if (bits > (1UL << (size - 1)))
                    {
                        bits -= 1UL << size;
                    }

                    dod = (long)bits;
                }

                tDelta += dod;
                t += tDelta;
                v = r.ReadXor(v, ref leading, ref trailing);
            }

            output.Add(Sample.Float(t, v));
        }
    }
}
