namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>
/// Turns an in-order sample stream of one series into chunks, cutting as Prometheus does: XOR chunks at
/// 120 samples; histogram chunks on a type, schema, zero-threshold or custom-bound change, on a counter
/// reset, after a stale marker, or at 120 samples. Used by the head and by streamed remote read.
/// </summary>
internal sealed class ChunkBuilder
{
    public const int MaxSamplesPerChunk = 120;

    private XorAppender? _xor;

    // The closed XOR chunk's appender, reset and reused for the next one: a long-lived series then allocates only
    // the exact-size copy of each closed chunk.
    private XorAppender? _spareXor;

    // The open histogram chunk, and the closed one's appender kept for reuse, as for XOR chunks.
    private HistogramChunkAppender? _histograms;
    private HistogramChunkAppender? _spareHistograms;

    // Copies of the last histogram appended to the open chunk, for the cut decisions: the builder keeps no sample,
    // and the caller may reuse its histogram objects.
    private Histogram? _lastInt;
    private FloatHistogram? _lastFloat;
    private SampleValueType _lastClosedType;

    public List<ChunkData> Closed { get; } = [];

    public bool IsEmpty => Closed.Count == 0 && _xor is null && _histograms is null;

    public void AppendFloat(long t, double v)
    {
        if (_histograms is not null)
        {
            CloseOpen();
        }

        if (_xor is { Count: >= MaxSamplesPerChunk })
        {
            CloseOpen();
        }

        if (_xor is null)
        {
            _xor = _spareXor ?? new XorAppender();
            _spareXor = null;
            _xor.Reset();
        }

        _xor.Append(t, v);
    }

    /// <summary>A copy of the last integer histogram appended, owned by the builder; overwritten by the next one.</summary>
    public Histogram? LastHistogram => _lastInt;

    /// <summary>A copy of the last float histogram appended, owned by the builder; overwritten by the next one.</summary>
    public FloatHistogram? LastFloatHistogram => _lastFloat;

    public void AppendHistogram(long t, Histogram h)
    {
        if (_xor is not null || _histograms is { IsFloat: true })
        {
            CloseOpen();
        }

        if (_histograms is null)
        {
            OpenHistograms(isFloat: false, NewFlag(h.CounterResetHint, h.CounterResetHint == CounterResetHint.CounterReset, true));
        }
        else
        {
            var prev = _lastInt!;
            bool reset = IsReset(prev.CounterResetHint == CounterResetHint.Gauge, h.CounterResetHint, prev.Count, h.Count, prev.ZeroCount, h.ZeroCount, prev.Sum, h.Sum)
                || (MayBeReset(prev.CounterResetHint, h.CounterResetHint, prev.Sum, h.Sum)
                    && (BucketLayout.BucketsDecreased(prev.PositiveSpans, prev.PositiveBuckets, h.PositiveSpans, h.PositiveBuckets)
                        || BucketLayout.BucketsDecreased(prev.NegativeSpans, prev.NegativeBuckets, h.NegativeSpans, h.NegativeBuckets)));
            bool layoutChange = LayoutChanged(prev.Schema, h.Schema, prev.ZeroThreshold, h.ZeroThreshold, prev.CustomValues, h.CustomValues);
            bool staleRestart = BucketLayout.IsStaleNaN(prev.Sum) && !BucketLayout.IsStaleNaN(h.Sum);
            if (reset || layoutChange || staleRestart || _histograms.Count >= MaxSamplesPerChunk)
            {
                CloseOpen();
                OpenHistograms(isFloat: false, NewFlag(h.CounterResetHint, reset, layoutChange || staleRestart));
            }
        }

        _histograms!.Append(t, h);
        _lastInt = (_lastInt ?? new Histogram()).CopyFrom(h);
    }

    public void AppendFloatHistogram(long t, FloatHistogram h)
    {
        if (_xor is not null || _histograms is { IsFloat: false })
        {
            CloseOpen();
        }

        if (_histograms is null)
        {
            OpenHistograms(isFloat: true, NewFlag(h.CounterResetHint, h.CounterResetHint == CounterResetHint.CounterReset, true));
        }
        else
        {
            var prev = _lastFloat!;
            bool reset = IsReset(prev.CounterResetHint == CounterResetHint.Gauge, h.CounterResetHint, prev.Count, h.Count, prev.ZeroCount, h.ZeroCount, prev.Sum, h.Sum)
                || (MayBeReset(prev.CounterResetHint, h.CounterResetHint, prev.Sum, h.Sum)
                    && (BucketLayout.BucketsDecreased(prev.PositiveSpans, prev.PositiveBuckets, h.PositiveSpans, h.PositiveBuckets)
                        || BucketLayout.BucketsDecreased(prev.NegativeSpans, prev.NegativeBuckets, h.NegativeSpans, h.NegativeBuckets)));
            bool layoutChange = LayoutChanged(prev.Schema, h.Schema, prev.ZeroThreshold, h.ZeroThreshold, prev.CustomValues, h.CustomValues);
            bool staleRestart = BucketLayout.IsStaleNaN(prev.Sum) && !BucketLayout.IsStaleNaN(h.Sum);
            if (reset || layoutChange || staleRestart || _histograms.Count >= MaxSamplesPerChunk)
            {
                CloseOpen();
                OpenHistograms(isFloat: true, NewFlag(h.CounterResetHint, reset, layoutChange || staleRestart));
            }
        }

        _histograms!.Append(t, h);
        _lastFloat = (_lastFloat ?? new FloatHistogram()).CopyFrom(h);
    }

    public void Append(in Sample s)
    {
        switch (s.Type)
        {
            case SampleValueType.Float: AppendFloat(s.T, s.F); break;
            case SampleValueType.Histogram: AppendHistogram(s.T, s.H!); break;
            default: AppendFloatHistogram(s.T, s.FH!); break;
        }
    }

    /// <summary>Closed chunks plus an encoded copy of the open one.</summary>
    public void Snapshot(List<ChunkData> output)
    {
        output.AddRange(Closed);
        var open = EncodeOpen();
        if (open is not null)
        {
            output.Add(open);
        }
    }

    public void CloseOpen()
    {
        var open = EncodeOpen();
        if (open is not null)
        {
            Closed.Add(open);
            _lastClosedType = open.Encoding switch
            {
                ChunkEncoding.Xor => SampleValueType.Float,
                ChunkEncoding.Histogram => SampleValueType.Histogram,
                _ => SampleValueType.FloatHistogram,
            };
        }

        DropOpen();
    }

    public void Clear()
    {
        Closed.Clear();
        DropOpen();
        _lastClosedType = SampleValueType.None;
    }

    private void DropOpen()
    {
        _spareXor ??= _xor;
        _xor = null;
        _spareHistograms ??= _histograms;
        _histograms = null;
    }

    private void OpenHistograms(bool isFloat, byte flag)
    {
        _histograms = _spareHistograms ?? new HistogramChunkAppender();
        _spareHistograms = null;
        _histograms.Reset(isFloat, flag);
    }

    private ChunkData? EncodeOpen() => _xor?.ToChunk() ?? _histograms?.ToChunk();

    private static bool LayoutChanged(int prevSchema, int schema, double prevZeroThreshold, double zeroThreshold, double[] prevCustom, double[] custom) =>
        prevSchema != schema || BitConverter.DoubleToUInt64Bits(prevZeroThreshold) != BitConverter.DoubleToUInt64Bits(zeroThreshold)
        || !prevCustom.AsSpan().SequenceEqual(custom);

    private byte NewFlag(CounterResetHint hint, bool reset, bool unknown)
    {
        if (hint == CounterResetHint.Gauge)
        {
            return HistogramChunkFlags.Gauge;
        }

        if (reset)
        {
            return HistogramChunkFlags.CounterReset;
        }

        return unknown || _lastClosedType == SampleValueType.None ? HistogramChunkFlags.Unknown : HistogramChunkFlags.NotCounterReset;
    }

    /// <summary>The reset decision from hints, counts and sums; <see cref="MayBeReset"/> says whether buckets still need comparing.</summary>
    private static bool IsReset(bool prevGauge, CounterResetHint hint, double prevCount, double count, double prevZero, double zero, double prevSum, double sum)
    {
        if (hint == CounterResetHint.Gauge || prevGauge)
        {
            return false;
        }

        if (hint == CounterResetHint.CounterReset)
        {
            return true;
        }

        if (BucketLayout.IsStaleNaN(sum) || BucketLayout.IsStaleNaN(prevSum))
        {
            return false;
        }

        return count < prevCount || zero < prevZero;
    }

    private static bool MayBeReset(CounterResetHint prevHint, CounterResetHint hint, double prevSum, double sum) =>
        hint is not (CounterResetHint.Gauge or CounterResetHint.CounterReset) && prevHint != CounterResetHint.Gauge
        && !BucketLayout.IsStaleNaN(sum) && !BucketLayout.IsStaleNaN(prevSum);
}
