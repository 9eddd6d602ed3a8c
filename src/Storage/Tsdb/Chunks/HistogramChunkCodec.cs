namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>
/// Encodes a run of histograms into one Prometheus histogram (2) or float histogram (3) chunk. All samples
/// must share schema, zero threshold and custom bounds; differing span layouts are widened to their union
/// (absent buckets become 0), which is what Prometheus's recoding achieves.
/// </summary>
internal static class HistogramChunkCodec
{
    public static ChunkData EncodeInt(IReadOnlyList<(long T, Histogram H)> samples, byte flag)
    {
        var (pos, neg, sameLayout) = UnionLayout(samples.Count, i => samples[i].H.Sum, i => samples[i].H.PositiveSpans, i => samples[i].H.NegativeSpans);
        var w = new BitWriter(256);
        w.WriteBits(0, 16);
        w.WriteByte(flag);
        long prevT = 0, tDelta = 0, cntDelta = 0, zDelta = 0;
        ulong prevCnt = 0, prevZ = 0;
        double prevSum = 0;
        byte leading = 0xFF, trailing = 0;
        long[] prevBuckets = [];
        long[] bucketDeltas = [];
        for (int n = 0; n < samples.Count; n++)
        {
            var (t, h) = samples[n];
            bool stale = BucketLayout.IsStaleNaN(h.Sum);
            long[] buckets = stale ? [] : Concat(Widen(h.PositiveBuckets, h.PositiveSpans, pos, sameLayout), Widen(h.NegativeBuckets, h.NegativeSpans, neg, sameLayout));
            ulong cnt = stale ? 0 : h.Count;
            ulong z = stale ? 0 : h.ZeroCount;
            if (n == 0)
            {
                var first = stale ? new Histogram { Sum = h.Sum } : h;
                WriteLayout(w, first.Schema, first.ZeroThreshold, stale ? [] : pos.Spans, stale ? [] : neg.Spans, first.CustomValues);
                w.WriteVarbitInt(t);
                w.WriteVarbitUInt(cnt);
                w.WriteVarbitUInt(z);
                w.WriteBits(BitConverter.DoubleToUInt64Bits(h.Sum), 64);
                foreach (var b in buckets)
                {
                    w.WriteVarbitInt(b);
                }

                prevBuckets = buckets;
                bucketDeltas = new long[buckets.Length];
                tDelta = 0;
            }
            else
            {
                long td = t - prevT;
                long cd = (long)cnt - (long)prevCnt;
                long zd = (long)z - (long)prevZ;
                long cntDod = stale ? 0 : cd - cntDelta;
                long zDod = stale ? 0 : zd - zDelta;
                w.WriteVarbitInt(td - tDelta);
                w.WriteVarbitInt(cntDod);
                w.WriteVarbitInt(zDod);
                w.WriteXor(h.Sum, prevSum, ref leading, ref trailing);
                for (int i = 0; i < buckets.Length; i++)
                {
                    long delta = buckets[i] - prevBuckets[i];
                    w.WriteVarbitInt(delta - bucketDeltas[i]);
                    bucketDeltas[i] = delta;
                }

                if (!stale)
                {
                    prevBuckets = buckets;
                }

                tDelta = td;
                cntDelta = cd;
                zDelta = zd;
            }

            prevT = t;
            prevCnt = cnt;
            prevZ = z;
            prevSum = h.Sum;
        }

        w.SetUInt16(0, (ushort)samples.Count);
        return new ChunkData(ChunkEncoding.Histogram, samples[0].T, samples[^1].T, samples.Count, w.ToArray());
    }

    public static ChunkData EncodeFloat(IReadOnlyList<(long T, FloatHistogram H)> samples, byte flag)
    {
        var (pos, neg, sameLayout) = UnionLayout(samples.Count, i => samples[i].H.Sum, i => samples[i].H.PositiveSpans, i => samples[i].H.NegativeSpans);
        var w = new BitWriter(256);
        w.WriteBits(0, 16);
        w.WriteByte(flag);
        long prevT = 0, tDelta = 0;
        double[] prev = [];
        byte[] lead = [];
        byte[] trail = [];
        for (int n = 0; n < samples.Count; n++)
        {
            var (t, h) = samples[n];
            bool stale = BucketLayout.IsStaleNaN(h.Sum);
            double[] buckets = stale ? [] : Concat(WidenF(h.PositiveBuckets, h.PositiveSpans, pos, sameLayout), WidenF(h.NegativeBuckets, h.NegativeSpans, neg, sameLayout));
            if (n == 0)
            {
                WriteLayout(w, stale ? 0 : h.Schema, stale ? 0 : h.ZeroThreshold, stale ? [] : pos.Spans, stale ? [] : neg.Spans, stale ? [] : h.CustomValues);
                w.WriteVarbitInt(t);
                double cnt = stale ? 0 : h.Count, z = stale ? 0 : h.ZeroCount;
                w.WriteBits(BitConverter.DoubleToUInt64Bits(cnt), 64);
                w.WriteBits(BitConverter.DoubleToUInt64Bits(z), 64);
                w.WriteBits(BitConverter.DoubleToUInt64Bits(h.Sum), 64);
                foreach (var b in buckets)
                {
                    w.WriteBits(BitConverter.DoubleToUInt64Bits(b), 64);
                }

                prev = new double[3 + buckets.Length];
                prev[0] = cnt;
                prev[1] = z;
                prev[2] = h.Sum;
                buckets.CopyTo(prev, 3);
                lead = new byte[prev.Length];
                trail = new byte[prev.Length];
                lead.AsSpan().Fill(0xFF);
                tDelta = 0;
            }
            else
            {
                long td = t - prevT;
                w.WriteVarbitInt(td - tDelta);
                tDelta = td;
                double cnt = stale ? 0 : h.Count, z = stale ? 0 : h.ZeroCount;
                w.WriteXor(cnt, prev[0], ref lead[0], ref trail[0]);
                prev[0] = cnt;
                w.WriteXor(z, prev[1], ref lead[1], ref trail[1]);
                prev[1] = z;
                w.WriteXor(h.Sum, prev[2], ref lead[2], ref trail[2]);
                prev[2] = h.Sum;
                for (int i = 0; i < buckets.Length; i++)
                {
                    w.WriteXor(buckets[i], prev[3 + i], ref lead[3 + i], ref trail[3 + i]);
                    prev[3 + i] = buckets[i];
                }
            }

            prevT = t;
        }

        w.SetUInt16(0, (ushort)samples.Count);
        return new ChunkData(ChunkEncoding.FloatHistogram, samples[0].T, samples[^1].T, samples.Count, w.ToArray());
    }

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

    private static (Layout Pos, Layout Neg, bool Same) UnionLayout(int count, Func<int, double> sum, Func<int, BucketSpan[]> pos, Func<int, BucketSpan[]> neg)
    {
        BucketSpan[]? p0 = null, n0 = null;
        bool same = true;
        for (int i = 0; i < count; i++)
        {
            if (BucketLayout.IsStaleNaN(sum(i)))
            {
                continue;
            }

            if (p0 is null)
            {
                p0 = pos(i);
                n0 = neg(i);
            }
            else if (!BucketLayout.SameSpans(p0, pos(i)) || !BucketLayout.SameSpans(n0!, neg(i)))
            {
                same = false;
                break;
            }
        }

        if (same)
        {
            return (new Layout(p0 ?? [], []), new Layout(n0 ?? [], []), true);
        }

        int[] pu = [], nu = [];
        for (int i = 0; i < count; i++)
        {
            if (!BucketLayout.IsStaleNaN(sum(i)))
            {
                pu = BucketLayout.Union(pu, BucketLayout.Indexes(pos(i)));
                nu = BucketLayout.Union(nu, BucketLayout.Indexes(neg(i)));
            }
        }

        return (new Layout(BucketLayout.ToSpans(pu), pu), new Layout(BucketLayout.ToSpans(nu), nu), false);
    }

    private static long[] Widen(long[] deltas, BucketSpan[] spans, Layout to, bool same) =>
        same ? deltas : BucketLayout.ExpandDeltas(deltas, BucketLayout.Indexes(spans), to.Indexes);

    private static double[] WidenF(double[] counts, BucketSpan[] spans, Layout to, bool same) =>
        same ? counts : BucketLayout.ExpandAbsolute(counts, BucketLayout.Indexes(spans), to.Indexes);

    private static T[] Concat<T>(T[] a, T[] b)
    {
        if (b.Length == 0)
        {
            return a;
        }

        var r = new T[a.Length + b.Length];
        a.CopyTo(r, 0);
        b.CopyTo(r, a.Length);
        return r;
    }

    private static void WriteLayout(BitWriter w, int schema, double zeroThreshold, BucketSpan[] pos, BucketSpan[] neg, double[] custom)
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

    private sealed record Layout(BucketSpan[] Spans, int[] Indexes);
}
