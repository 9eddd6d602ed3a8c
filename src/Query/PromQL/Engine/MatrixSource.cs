using System.Buffers;
using System.Runtime.InteropServices;

using TraceLink.Query.PromQL.Parser;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

/// <summary>The series behind a range argument (a range selector or a subquery) with per-step windows.</summary>
internal sealed class MatrixSource
{
    private readonly List<ISeries>? _stored;
    private readonly Label[][]? _storedLabels;
    private readonly List<EvalSeries>? _computed;
    private FloatPoint[] _floats = [];
    private HistogramPoint[] _hists = [];
    private int _fCount;
    private int _hCount;
    private int _loaded = -1;
    private readonly long _mint;
    private readonly long _maxt;

    private MatrixSource(long rangeMs, long offsetMs, bool fixedTime, long atRef, List<ISeries>? stored, List<EvalSeries>? computed, long mint, long maxt)
    {
        RangeMs = rangeMs;
        OffsetMs = offsetMs;
        Fixed = fixedTime;
        AtRef = atRef;
        _stored = stored;
        _computed = computed;
        _mint = mint;
        _maxt = maxt;
        if (stored != null)
        {
            _storedLabels = new Label[stored.Count][];
            for (var i = 0; i < stored.Count; i++)
            {
                _storedLabels[i] = Labels.FromList(stored[i].Labels);
            }
        }
    }

    public long RangeMs { get; }

    public long OffsetMs { get; }

    public bool Fixed { get; }

    public long AtRef { get; }

    public int Count => _stored?.Count ?? _computed!.Count;

    public VectorSelector? Selector { get; private init; }

    public static MatrixSource FromSelector(Evaluator ev, MatrixSelector ms)
    {
        var vs = ms.Selector;
        var (atRef, fixedTime) = AtOf(ev, vs.Timestamp, vs.At);
        var firstRef = (fixedTime ? atRef : ev.Start) - vs.OffsetMs;
        var lastRef = (fixedTime ? atRef : ev.End) - vs.OffsetMs;
        var mint = firstRef - ms.RangeMs;
        var series = new List<ISeries>(ev.SelectSeries(mint, lastRef, vs.Matchers));
        return new MatrixSource(ms.RangeMs, vs.OffsetMs, fixedTime, atRef, series, null, mint, lastRef) { Selector = vs };
    }

    public static MatrixSource FromSubquery(Evaluator ev, SubqueryExpr sq)
    {
        var (atRef, fixedTime) = AtOf(ev, sq.Timestamp, sq.At);
        var inner = ev.EvalSubqueryInner(sq, out var s, out var e);
        return new MatrixSource(sq.RangeMs, sq.OffsetMs, fixedTime, atRef, null, inner.Series, s, e);
    }

    private static (long, bool) AtOf(Evaluator ev, long? ts, AtModifier at)
    {
        if (ts is long t)
        {
            return (t, true);
        }

        return at switch
        {
            AtModifier.Start => (ev.QueryStart, true),
            AtModifier.End => (ev.QueryEnd, true),
            _ => (0, false),
        };
    }

    public long RefTime(long ts) => (Fixed ? AtRef : ts) - OffsetMs;

    public Label[] Metric(int s) => _storedLabels != null ? _storedLabels[s] : _computed![s].Metric;

    public bool DropName(int s) => _computed != null && _computed[s].DropName;

    private void Load(int s)
    {
        if (_loaded == s)
        {
            return;
        }

        _loaded = s;
        _fCount = 0;
        _hCount = 0;
        if (_stored != null)
        {
            // Straight from the iterator into the point arrays: one pass per sample, no staging copy.
            var it = _stored[s].Iterator();
            var type = it.Seek(_mint);
            while (type != SampleValueType.None)
            {
                var t = it.AtTimestamp;
                if (t > _maxt)
                {
                    break;
                }

                if (type == SampleValueType.Float)
                {
                    var f = it.AtFloat;
                    if (t >= _mint && !StaleNaN.Is(f))
                    {
                        if (_fCount == _floats.Length)
                        {
                            Grow(ref _floats, _fCount);
                        }

                        _floats[_fCount++] = new FloatPoint(t, f);
                    }
                }
                else if (t >= _mint)
                {
                    var h = type == SampleValueType.Histogram ? HistogramMath.FromInt(it.AtHistogram()) : HistogramMath.Copy(it.AtFloatHistogram());
                    if (!HistogramMath.IsStale(h))
                    {
                        if (_hCount == _hists.Length)
                        {
                            Grow(ref _hists, _hCount);
                        }

                        _hists[_hCount++] = new HistogramPoint(t, h);
                    }
                }

                type = it.Next();
            }
        }
    }

    /// <summary>Returns the pooled sample arrays; call once evaluation no longer reads windows.</summary>
    public void Release()
    {
        if (_floats.Length > 0)
        {
            ArrayPool<FloatPoint>.Shared.Return(_floats);
            _floats = [];
        }

        if (_hists.Length > 0)
        {
            ArrayPool<HistogramPoint>.Shared.Return(_hists, clearArray: true);
            _hists = [];
        }

        _fCount = 0;
        _hCount = 0;
        _loaded = -1;
    }

    private static void Grow<T>(ref T[] array, int count)
    {
        var bigger = ArrayPool<T>.Shared.Rent(Math.Max(256, array.Length * 2));
        array.AsSpan(0, count).CopyTo(bigger);
        if (array.Length > 0)
        {
            ArrayPool<T>.Shared.Return(array, clearArray: System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>());
        }

        array = bigger;
    }

    /// <summary>Samples with timestamps in [ref - range, ref].</summary>
    public Window Window(int s, long refT)
    {
        ReadOnlySpan<FloatPoint> floats;
        ReadOnlySpan<HistogramPoint> hists;
        if (_computed != null)
        {
            var es = _computed[s];
            floats = es.Floats != null ? CollectionsMarshal.AsSpan(es.Floats) : default;
            hists = es.Histograms != null ? CollectionsMarshal.AsSpan(es.Histograms) : default;
        }
        else
        {
            Load(s);
            floats = _floats.AsSpan(0, _fCount);
            hists = _hists.AsSpan(0, _hCount);
        }

        var lo = refT - RangeMs;
        return new Window(Slice(floats, lo, refT), SliceH(hists, lo, refT));
    }

    private static ReadOnlySpan<FloatPoint> Slice(ReadOnlySpan<FloatPoint> pts, long lo, long hi)
    {
        var a = LowerBound(pts, lo);
        var b = LowerBound(pts, hi + 1);
        return pts[a..b];
    }

    private static int LowerBound(ReadOnlySpan<FloatPoint> pts, long t)
    {
        int l = 0, r = pts.Length;
        while (l < r)
        {
            var m = (l + r) >>> 1;
            if (pts[m].T < t)
            {
                l = m + 1;
            }
            else
            {
                r = m;
            }
        }

        return l;
    }

    private static ReadOnlySpan<HistogramPoint> SliceH(ReadOnlySpan<HistogramPoint> pts, long lo, long hi)
    {
        static int Lb(ReadOnlySpan<HistogramPoint> p, long t)
        {
            int l = 0, r = p.Length;
            while (l < r)
            {
                var m = (l + r) >>> 1;
                if (p[m].T < t)
                {
                    l = m + 1;
                }
                else
                {
                    r = m;
                }
            }

            return l;
        }

        var a = Lb(pts, lo);
        var b = Lb(pts, hi + 1);
        return pts[a..b];
    }
}
