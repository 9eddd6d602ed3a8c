namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>
/// Decodes Prometheus histogram (2) and float histogram (3) chunks, and writes their layout header for
/// <see cref="HistogramChunkAppender"/>, which encodes them.
/// </summary>
internal static class HistogramChunkCodec
{
    public static void Decode(ChunkData chunk, List<Sample> output)
    {
        var data = chunk.Data;
        int count = (data[0] << 8) | data[1];
        byte flag = (byte)(data[2] & 0xC0);
        bool isFloat = chunk.Encoding == ChunkEncoding.FloatHistogram;
        var r = new BitReader(data, 3, data.Length - 3);
        var (zt, schema, pSpans, nSpans, custom) = ReadLayout(ref r);
        int np = BucketLayout.CountBuckets(pSpans), nn = BucketLayout.CountBuckets(nSpans);
        long t = 0, tDelta = 0;
        long cnt = 0, z = 0, cntDelta = 0, zDelta = 0;
        double sum = 0;
        byte leading = 0xFF, trailing = 0;
        var ib = new long[np + nn];
        var ibDelta = new long[np + nn];
        var fv = new double[3 + np + nn];
        var fl = new byte[fv.Length];
        var ft = new byte[fv.Length];
        fl.AsSpan().Fill(0xFF);
        for (int n = 0; n < count; n++)
        {
            var hint = flag == HistogramChunkFlags.Gauge ? CounterResetHint.Gauge : n == 0 ? CounterResetHint.Unknown : CounterResetHint.NotCounterReset;
            bool stale;
            if (n == 0)
            {
                t = r.ReadVarbitInt();
                if (isFloat)
                {
                    for (int i = 0; i < 3; i++)
                    {
                        fv[i] = BitConverter.UInt64BitsToDouble(r.ReadBits(64));
                    }

                    stale = BucketLayout.IsStaleNaN(fv[2]);
                    for (int i = 3; i < fv.Length; i++)
                    {
                        fv[i] = BitConverter.UInt64BitsToDouble(r.ReadBits(64));
                    }
                }
                else
                {
                    cnt = (long)r.ReadVarbitUInt();
                    z = (long)r.ReadVarbitUInt();
                    sum = BitConverter.UInt64BitsToDouble(r.ReadBits(64));
                    stale = BucketLayout.IsStaleNaN(sum);
                    for (int i = 0; i < ib.Length; i++)
                    {
                        ib[i] = r.ReadVarbitInt();
                    }
                }
            }
            else
            {
                long td = tDelta + r.ReadVarbitInt();
                t += td;
                tDelta = td;
                if (isFloat)
                {
                    fv[0] = r.ReadXor(fv[0], ref fl[0], ref ft[0]);
                    fv[1] = r.ReadXor(fv[1], ref fl[1], ref ft[1]);
                    fv[2] = r.ReadXor(fv[2], ref fl[2], ref ft[2]);
                    stale = BucketLayout.IsStaleNaN(fv[2]);
                    if (!stale)
                    {
                        for (int i = 3; i < fv.Length; i++)
                        {
                            fv[i] = r.ReadXor(fv[i], ref fl[i], ref ft[i]);
                        }
                    }
                }
                else
                {
                    long cd = cntDelta + r.ReadVarbitInt();
                    long zd = zDelta + r.ReadVarbitInt();
                    sum = r.ReadXor(sum, ref leading, ref trailing);
                    stale = BucketLayout.IsStaleNaN(sum);
                    if (!stale)
                    {
                        cnt += cd;
                        z += zd;
                        cntDelta = cd;
                        zDelta = zd;
                        for (int i = 0; i < ib.Length; i++)
                        {
                            long d = ibDelta[i] + r.ReadVarbitInt();
                            ib[i] += d;
                            ibDelta[i] = d;
                        }
                    }
                }
            }

            if (isFloat)
            {
                output.Add(Sample.FloatHist(t, stale
                    ? new FloatHistogram { Sum = fv[2], CounterResetHint = hint }
                    : new FloatHistogram
                    {
                        CounterResetHint = hint,
                        Schema = schema,
                        ZeroThreshold = zt,
                        Count = fv[0],
                        ZeroCount = fv[1],
                        Sum = fv[2],
                        PositiveSpans = pSpans,
                        NegativeSpans = nSpans,
                        PositiveBuckets = fv.AsSpan(3, np).ToArray(),
                        NegativeBuckets = fv.AsSpan(3 + np, nn).ToArray(),
                        CustomValues = custom,
                    }));
            }
            else
            {
                output.Add(Sample.Int(t, stale
                    ? new Histogram { Sum = sum, CounterResetHint = hint }
                    : new Histogram
                    {
                        CounterResetHint = hint,
                        Schema = schema,
                        ZeroThreshold = zt,
                        Count = (ulong)cnt,
                        ZeroCount = (ulong)z,
                        Sum = sum,
                        PositiveSpans = pSpans,
                        NegativeSpans = nSpans,
                        PositiveBuckets = ib.AsSpan(0, np).ToArray(),
                        NegativeBuckets = ib.AsSpan(np, nn).ToArray(),
                        CustomValues = custom,
                    }));
            }
        }
    }

    /// <summary>Writes a chunk's layout: zero threshold, schema, positive and negative spans, custom bounds.</summary>
    public static void WriteLayout(BitWriter w, int schema, double zeroThreshold, BucketSpan[] pos, BucketSpan[] neg, double[] custom)
    {
        if (zeroThreshold == 0)
        {
            w.WriteByte(0);
        }
        else
        {
            var (frac, exp) = Frexp(zeroThreshold);
            if (frac != 0.5 || exp < -242 || exp > 11)
            {
                w.WriteByte(255);
                w.WriteBits(BitConverter.DoubleToUInt64Bits(zeroThreshold), 64);
            }
            else
            {
                w.WriteByte((byte)(exp + 243));
            }
        }

        w.WriteVarbitInt(schema);
        WriteSpans(w, pos);
        WriteSpans(w, neg);
        if (schema == -53)
        {
            w.WriteVarbitUInt((ulong)custom.Length);
            foreach (var f in custom)
            {
                double tf = f * 1000;
                if (tf < 0 || tf > 33554430 || Math.Round(tf) / 1000 != f)
                {
                    w.WriteBit(false);
                    w.WriteBits(BitConverter.DoubleToUInt64Bits(f), 64);
                }
                else
                {
                    w.WriteVarbitUInt((ulong)Math.Round(tf) + 1);
                }
            }
        }
    }

    private static void WriteSpans(BitWriter w, BucketSpan[] spans)
    {
        w.WriteVarbitUInt((ulong)spans.Length);
        foreach (var s in spans)
        {
            w.WriteVarbitUInt(s.Length);
            w.WriteVarbitInt(s.Offset);
        }
    }

    private static (double Zt, int Schema, BucketSpan[] Pos, BucketSpan[] Neg, double[] Custom) ReadLayout(ref BitReader r)
    {
        byte b = r.ReadByte();
        double zt = b switch
        {
            0 => 0,
            255 => BitConverter.UInt64BitsToDouble(r.ReadBits(64)),
            _ => Math.ScaleB(0.5, b - 243),
        };
        int schema = (int)r.ReadVarbitInt();
        var pos = ReadSpans(ref r);
        var neg = ReadSpans(ref r);
        double[] custom = [];
        if (schema == -53)
        {
            custom = new double[r.ReadVarbitUInt()];
            for (int i = 0; i < custom.Length; i++)
            {
                ulong v = r.ReadVarbitUInt();
                custom[i] = v == 0 ? BitConverter.UInt64BitsToDouble(r.ReadBits(64)) : (v - 1) / 1000.0;
            }
        }

        return (zt, schema, pos, neg, custom);
    }

    private static BucketSpan[] ReadSpans(ref BitReader r)
    {
        var spans = new BucketSpan[r.ReadVarbitUInt()];
        for (int i = 0; i < spans.Length; i++)
        {
            uint len = (uint)r.ReadVarbitUInt();
            spans[i] = new BucketSpan((int)r.ReadVarbitInt(), len);
        }

        return spans;
    }

    /// <summary>Go <c>math.Frexp</c>: frac in [0.5, 1) and exp with x = frac·2^exp.</summary>
    private static (double Frac, int Exp) Frexp(double x)
    {
        if (x == 0 || double.IsNaN(x) || double.IsInfinity(x))
        {
            return (x, 0);
        }

        int exp = Math.ILogB(x) + 1;
        return (Math.ScaleB(x, -exp), exp);
    }

}
