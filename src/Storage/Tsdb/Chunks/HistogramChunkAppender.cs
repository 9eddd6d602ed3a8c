namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>
/// Appends native histograms to one Prometheus histogram (2) or float histogram (3) chunk as they arrive, as
/// <see cref="XorAppender"/> does for floats: the head holds encoded bytes, not the histograms. The chunk's bucket
/// layout is the union of its samples' layouts (absent buckets are 0). The first sample sets it; a later sample with
/// a bucket outside it re-encodes the chunk with the wider layout, as Prometheus's recoding does, so only a growing
/// layout allocates. All samples of a chunk share schema, zero threshold and custom bounds, and only stale markers
/// follow a stale marker (<see cref="ChunkBuilder"/> cuts a new chunk in both cases).
/// </summary>
internal sealed class HistogramChunkAppender
{
    private readonly BitWriter _writer = new(256);
    private readonly List<Sample> _recoded = [];

    // The chunk's layout.
    private int _schema;
    private double _zeroThreshold;
    private double[] _custom = [];
    private BucketSpan[] _positiveSpans = [];
    private BucketSpan[] _negativeSpans = [];
    private int[] _positiveIndexes = [];
    private int[] _negativeIndexes = [];
    private int _buckets;
    private bool _layoutSet;
    private bool _staleSeen;

    // Encoder state. Integer chunks: absolute bucket counts and their deltas; float chunks: count, zero count, sum
    // and the buckets in _values, with one leading/trailing-zero pair per value.
    private long _t;
    private long _tDelta;
    private ulong _count;
    private ulong _zeroCount;
    private long _countDelta;
    private long _zeroDelta;
    private double _sum;
    private byte _leading = 0xFF;
    private byte _trailing;
    private long[] _previous = [];
    private long[] _deltas = [];
    private long[] _widened = [];
    private double[] _values = [];
    private double[] _widenedFloat = [];
    private byte[] _lead = [];
    private byte[] _trail = [];

    public bool IsFloat { get; private set; }

    public int Count { get; private set; }

    public long MinTime { get; private set; }

    public long MaxTime => _t;

    /// <summary>Starts an empty chunk of the given kind and counter-reset flag (<see cref="HistogramChunkFlags"/>), reusing the buffers.</summary>
    public void Reset(bool isFloat, byte flag)
    {
        IsFloat = isFloat;
        _writer.Reset();
        _writer.WriteBits(0, 16);
        _writer.WriteByte(flag);
        Count = 0;
        _layoutSet = false;
        _staleSeen = false;
    }

    public void Append(long t, Histogram h)
    {
        bool stale = BucketLayout.IsStaleNaN(h.Sum);
        Prepare(stale, h.Schema, h.ZeroThreshold, h.CustomValues, h.PositiveSpans, h.NegativeSpans);

        var buckets = _widened.AsSpan(0, stale ? 0 : _buckets);
        if (!stale)
        {
            BucketLayout.WidenDeltas(h.PositiveSpans, h.PositiveBuckets, _positiveIndexes, buckets);
            BucketLayout.WidenDeltas(h.NegativeSpans, h.NegativeBuckets, _negativeIndexes, buckets[_positiveIndexes.Length..]);
        }

        WriteInt(t, stale ? 0 : h.Count, stale ? 0 : h.ZeroCount, h.Sum, buckets, stale);
    }

    public void Append(long t, FloatHistogram h)
    {
        bool stale = BucketLayout.IsStaleNaN(h.Sum);
        Prepare(stale, h.Schema, h.ZeroThreshold, h.CustomValues, h.PositiveSpans, h.NegativeSpans);

        var buckets = _widenedFloat.AsSpan(0, stale ? 0 : _buckets);
        if (!stale)
        {
            BucketLayout.WidenAbsolute(h.PositiveSpans, h.PositiveBuckets, _positiveIndexes, buckets);
            BucketLayout.WidenAbsolute(h.NegativeSpans, h.NegativeBuckets, _negativeIndexes, buckets[_positiveIndexes.Length..]);
        }

        WriteFloat(t, stale ? 0 : h.Count, stale ? 0 : h.ZeroCount, h.Sum, buckets);
    }

    public ChunkData ToChunk() =>
        new(IsFloat ? ChunkEncoding.FloatHistogram : ChunkEncoding.Histogram, MinTime, _t, Count, _writer.ToArray());

    /// <summary>Encodes a whole run at once (tests, benchmarks).</summary>
    public static ChunkData Encode(IReadOnlyList<(long T, Histogram H)> samples, byte flag)
    {
        var appender = new HistogramChunkAppender();
        appender.Reset(isFloat: false, flag);
        foreach (var (t, h) in samples)
        {
            appender.Append(t, h);
        }

        return appender.ToChunk();
    }

    /// <inheritdoc cref="Encode(IReadOnlyList{ValueTuple{long, Histogram}}, byte)"/>
    public static ChunkData Encode(IReadOnlyList<(long T, FloatHistogram H)> samples, byte flag)
    {
        var appender = new HistogramChunkAppender();
        appender.Reset(isFloat: true, flag);
        foreach (var (t, h) in samples)
        {
            appender.Append(t, h);
        }

        return appender.ToChunk();
    }

    /// <summary>
    /// Writes the layout before the first sample (unless a recode set a wider one); afterwards recodes the chunk when
    /// the sample brings buckets outside its layout.
    /// </summary>
    private void Prepare(bool stale, int schema, double zeroThreshold, double[] custom, BucketSpan[] positive, BucketSpan[] negative)
    {
        if (!_layoutSet)
        {
            // A leading stale marker carries no layout: the chunk then holds stale markers only.
            SetLayout(stale ? 0 : schema, stale ? 0 : zeroThreshold, stale ? [] : custom, stale ? [] : positive, stale ? [] : negative);
        }

        if (stale)
        {
            _staleSeen = true;
            return;
        }

        if (_staleSeen)
        {
            throw new InvalidOperationException("a histogram after a stale marker starts a new chunk");
        }

        bool fits = (BucketLayout.SameSpans(positive, _positiveSpans) || BucketLayout.IsSubset(positive, _positiveIndexes))
            && (BucketLayout.SameSpans(negative, _negativeSpans) || BucketLayout.IsSubset(negative, _negativeIndexes));
        if (!fits)
        {
            Recode(positive, negative);
        }
    }

    private void SetLayout(int schema, double zeroThreshold, double[] custom, BucketSpan[] positive, BucketSpan[] negative)
    {
        // Copies: the caller may overwrite its arrays once the sample is appended.
        _schema = schema;
        _zeroThreshold = zeroThreshold;
        if (!custom.AsSpan().SequenceEqual(_custom))
        {
            _custom = custom.ToArray();
        }

        if (!BucketLayout.SameSpans(positive, _positiveSpans))
        {
            _positiveSpans = positive.ToArray();
            _positiveIndexes = BucketLayout.Indexes(positive);
        }

        if (!BucketLayout.SameSpans(negative, _negativeSpans))
        {
            _negativeSpans = negative.ToArray();
            _negativeIndexes = BucketLayout.Indexes(negative);
        }

        _buckets = _positiveIndexes.Length + _negativeIndexes.Length;
        if (IsFloat)
        {
            Grow(ref _values, 3 + _buckets);
            Grow(ref _lead, 3 + _buckets);
            Grow(ref _trail, 3 + _buckets);
            Grow(ref _widenedFloat, _buckets);
        }
        else
        {
            Grow(ref _previous, _buckets);
            Grow(ref _deltas, _buckets);
            Grow(ref _widened, _buckets);
        }

        HistogramChunkCodec.WriteLayout(_writer, _schema, _zeroThreshold, _positiveSpans, _negativeSpans, _custom);
        _layoutSet = true;
    }

    /// <summary>Re-encodes the samples so far with the layout widened by the given spans.</summary>
    private void Recode(BucketSpan[] positive, BucketSpan[] negative)
    {
        _recoded.Clear();
        HistogramChunkCodec.Decode(ToChunk(), _recoded);
        var positiveSpans = BucketLayout.ToSpans(BucketLayout.Union(_positiveIndexes, BucketLayout.Indexes(positive)));
        var negativeSpans = BucketLayout.ToSpans(BucketLayout.Union(_negativeIndexes, BucketLayout.Indexes(negative)));
        byte flag = _writer.Bytes[2];
        Reset(IsFloat, flag);
        SetLayout(_schema, _zeroThreshold, _custom, positiveSpans, negativeSpans);
        foreach (var sample in _recoded)
        {
            // every recoded sample fits the wider layout
            if (IsFloat)
            {
                Append(sample.T, sample.FH!);
            }
            else
            {
                Append(sample.T, sample.H!);
            }
        }

        _recoded.Clear();
    }

    private void WriteInt(long t, ulong count, ulong zeroCount, double sum, ReadOnlySpan<long> buckets, bool stale)
    {
        if (Count == 0)
        {
            _writer.WriteVarbitInt(t);
            _writer.WriteVarbitUInt(count);
            _writer.WriteVarbitUInt(zeroCount);
            _writer.WriteBits(BitConverter.DoubleToUInt64Bits(sum), 64);
            foreach (long b in buckets)
            {
                _writer.WriteVarbitInt(b);
            }

            buckets.CopyTo(_previous);
            _deltas.AsSpan().Clear();
            _tDelta = 0;
            _countDelta = 0;
            _zeroDelta = 0;
            _leading = 0xFF;
            _trailing = 0;
            MinTime = t;
        }
        else
        {
            long tDelta = t - _t;
            long countDelta = (long)count - (long)_count;
            long zeroDelta = (long)zeroCount - (long)_zeroCount;
            _writer.WriteVarbitInt(tDelta - _tDelta);
            _writer.WriteVarbitInt(stale ? 0 : countDelta - _countDelta);
            _writer.WriteVarbitInt(stale ? 0 : zeroDelta - _zeroDelta);
            _writer.WriteXor(sum, _sum, ref _leading, ref _trailing);
            for (int i = 0; i < buckets.Length; i++)
            {
                long delta = buckets[i] - _previous[i];
                _writer.WriteVarbitInt(delta - _deltas[i]);
                _deltas[i] = delta;
            }

            buckets.CopyTo(_previous);
            _tDelta = tDelta;
            _countDelta = countDelta;
            _zeroDelta = zeroDelta;
        }

        _t = t;
        _count = count;
        _zeroCount = zeroCount;
        _sum = sum;
        Count++;
        _writer.SetUInt16(0, (ushort)Count);
    }

    private void WriteFloat(long t, double count, double zeroCount, double sum, ReadOnlySpan<double> buckets)
    {
        if (Count == 0)
        {
            _writer.WriteVarbitInt(t);
            _values[0] = count;
            _values[1] = zeroCount;
            _values[2] = sum;
            buckets.CopyTo(_values.AsSpan(3));
            foreach (double v in _values.AsSpan(0, 3 + buckets.Length))
            {
                _writer.WriteBits(BitConverter.DoubleToUInt64Bits(v), 64);
            }

            _lead.AsSpan().Fill(0xFF);
            _trail.AsSpan().Clear();
            _tDelta = 0;
            MinTime = t;
        }
        else
        {
            long tDelta = t - _t;
            _writer.WriteVarbitInt(tDelta - _tDelta);
            _tDelta = tDelta;
            WriteFloatValue(0, count);
            WriteFloatValue(1, zeroCount);
            WriteFloatValue(2, sum);
            for (int i = 0; i < buckets.Length; i++)
            {
                WriteFloatValue(3 + i, buckets[i]);
            }
        }

        _t = t;
        Count++;
        _writer.SetUInt16(0, (ushort)Count);
    }

    private void WriteFloatValue(int i, double value)
    {
        _writer.WriteXor(value, _values[i], ref _lead[i], ref _trail[i]);
        _values[i] = value;
    }

    private static void Grow<T>(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            array = new T[Math.Max(length, array.Length * 2)];
        }
    }
}
