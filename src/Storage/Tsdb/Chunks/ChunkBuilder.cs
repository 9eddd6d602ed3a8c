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
    private List<(long T, Histogram H)>? _ints;
    private List<(long T, FloatHistogram H)>? _floats;
    private byte _flag;
    private SampleValueType _lastClosedType;

    public List<ChunkData> Closed { get; } = [];

    public bool IsEmpty => Closed.Count == 0 && _xor is null && _ints is null && _floats is null;

    public void AppendFloat(long t, double v)
    {
        if (_ints is not null || _floats is not null)
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

    public void AppendHistogram(long t, Histogram h)
    {
        if (_xor is not null || _floats is not null)
        {
            CloseOpen();
        }

        if (_ints is { Count: > 0 })
        {
            var prev = _ints[^1].H;
            bool reset = IsReset(prev.CounterResetHint == CounterResetHint.Gauge, h.CounterResetHint, prev.Count, h.Count, prev.ZeroCount, h.ZeroCount, prev.Sum, h.Sum)
                || (MayBeReset(prev.CounterResetHint, h.CounterResetHint, prev.Sum, h.Sum)
                    && (BucketLayout.BucketsDecreased(prev.PositiveSpans, prev.PositiveBuckets, h.PositiveSpans, h.PositiveBuckets)
                        || BucketLayout.BucketsDecreased(prev.NegativeSpans, prev.NegativeBuckets, h.NegativeSpans, h.NegativeBuckets)));
            bool layoutChange = prev.Schema != h.Schema || BitConverter.DoubleToUInt64Bits(prev.ZeroThreshold) != BitConverter.DoubleToUInt64Bits(h.ZeroThreshold)
                || !prev.CustomValues.AsSpan().SequenceEqual(h.CustomValues);
            bool staleRestart = BucketLayout.IsStaleNaN(prev.Sum) && !BucketLayout.IsStaleNaN(h.Sum);
            if (reset || layoutChange || staleRestart || _ints.Count >= MaxSamplesPerChunk)
            {
                CloseOpen();
                _flag = NewFlag(h.CounterResetHint, reset, layoutChange || staleRestart);
            }
        }
        else if (_ints is null)
        {
            _flag = NewFlag(h.CounterResetHint, h.CounterResetHint == CounterResetHint.CounterReset, true);
        }

        _ints ??= [];
        _ints.Add((t, h));
    }

    public void AppendFloatHistogram(long t, FloatHistogram h)
    {
        if (_xor is not null || _ints is not null)
        {
            CloseOpen();
        }

        if (_floats is { Count: > 0 })
        {
            var prev = _floats[^1].H;
            bool reset = IsReset(prev.CounterResetHint == CounterResetHint.Gauge, h.CounterResetHint, prev.Count, h.Count, prev.ZeroCount, h.ZeroCount, prev.Sum, h.Sum)
                || (MayBeReset(prev.CounterResetHint, h.CounterResetHint, prev.Sum, h.Sum)
                    && (BucketLayout.BucketsDecreased(prev.PositiveSpans, prev.PositiveBuckets, h.PositiveSpans, h.PositiveBuckets)
                        || BucketLayout.BucketsDecreased(prev.NegativeSpans, prev.NegativeBuckets, h.NegativeSpans, h.NegativeBuckets)));
            bool layoutChange = prev.Schema != h.Schema || BitConverter.DoubleToUInt64Bits(prev.ZeroThreshold) != BitConverter.DoubleToUInt64Bits(h.ZeroThreshold)
                || !prev.CustomValues.AsSpan().SequenceEqual(h.CustomValues);
            bool staleRestart = BucketLayout.IsStaleNaN(prev.Sum) && !BucketLayout.IsStaleNaN(h.Sum);
            if (reset || layoutChange || staleRestart || _floats.Count >= MaxSamplesPerChunk)
            {
                CloseOpen();
                _flag = NewFlag(h.CounterResetHint, reset, layoutChange || staleRestart);
            }
        }
        else if (_floats is null)
        {
            _flag = NewFlag(h.CounterResetHint, h.CounterResetHint == CounterResetHint.CounterReset, true);
        }

        _floats ??= [];
        _floats.Add((t, h));
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

        _spareXor ??= _xor;
        _xor = null;
        _ints = null;
        _floats = null;
    }

    public void Clear()
    {
        Closed.Clear();
        _spareXor ??= _xor;
        _xor = null;
        _ints = null;
        _floats = null;
        _lastClosedType = SampleValueType.None;
    }

    private ChunkData? EncodeOpen()
    {
        if (_xor is not null)
        {
            return _xor.ToChunk();
        }

        if (_ints is not null)
        {
            return HistogramChunkCodec.EncodeInt(_ints, _flag);
        }

        return _floats is not null ? HistogramChunkCodec.EncodeFloat(_floats, _flag) : null;
    }

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
