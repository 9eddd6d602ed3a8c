using System.Diagnostics;
using System.Runtime.InteropServices;

using TraceLink.Query.PromQL.Parser;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

/// <summary>
/// Evaluates an AST over the steps start..end (inclusive) every interval, like Prometheus's evaluator:
/// every instant-vector node yields a matrix with at most one point per step.
/// </summary>
internal sealed partial class Evaluator
{
    private readonly ISeriesStore _store;
    private readonly long _lookback;
    private readonly int _maxSamples;
    private readonly long _deadline;
    private readonly CancellationToken _ct;
    private readonly long _defaultSubqueryStep;
    private readonly long _queryStart;
    private readonly long _queryEnd;

    public Evaluator(ISeriesStore store, PromQLOptions options, long start, long end, long interval, long deadline, List<string> warnings, List<string> infos, CancellationToken ct)
    {
        _store = store;
        _lookback = (long)options.LookbackDelta.TotalMilliseconds;
        _maxSamples = options.MaxSamples;
        _defaultSubqueryStep = (long)options.DefaultSubqueryStep.TotalMilliseconds;
        Start = start;
        End = end;
        Interval = interval;
        _queryStart = start;
        _queryEnd = end;
        _deadline = deadline;
        _ct = ct;
        Warnings = warnings;
        Infos = infos;
    }

    private Evaluator(Evaluator parent, long start, long end, long interval)
    {
        _store = parent._store;
        _lookback = parent._lookback;
        _maxSamples = parent._maxSamples;
        _defaultSubqueryStep = parent._defaultSubqueryStep;
        _deadline = parent._deadline;
        _ct = parent._ct;
        _queryStart = parent._queryStart;
        _queryEnd = parent._queryEnd;
        Start = start;
        End = end;
        Interval = interval;
        Warnings = parent.Warnings;
        Infos = parent.Infos;
        CurrentSamples = parent.CurrentSamples;
    }

    public long Start { get; }

    public long End { get; }

    public long Interval { get; }

    public List<string> Warnings { get; }

    public List<string> Infos { get; }

    public int CurrentSamples { get; private set; }

    private int Steps => (int)((End - Start) / Interval) + 1;

    private bool IsInstant => Start == End;

    public void Warn(string w)
    {
        if (!Warnings.Contains(w))
        {
            Warnings.Add(w);
        }
    }

    public void Info(string w)
    {
        if (!Infos.Contains(w))
        {
            Infos.Add(w);
        }
    }

    public static PromQLException Error(string msg) => new(PromQLErrorType.Execution, msg);

    private void AddSamples(int n)
    {
        CurrentSamples += n;
        if (CurrentSamples > _maxSamples)
        {
            throw new PromQLException(PromQLErrorType.Execution, "query processing would load too many samples into memory in query execution");
        }
    }

    private void CheckDeadline()
    {
        // Called per step or per series, never per sample, so the clock read is cheap relative to the work.
        if (_ct.IsCancellationRequested)
        {
            throw new PromQLException(PromQLErrorType.Canceled, "query was canceled in expression evaluation");
        }

        if (Stopwatch.GetTimestamp() > _deadline)
        {
            throw new PromQLException(PromQLErrorType.Timeout, "query timed out in expression evaluation");
        }
    }

    private static Expr Unwrap(Expr e)
    {
        while (e is ParenExpr p)
        {
            e = p.Inner;
        }

        return e;
    }

    public Value Eval(Expr e)
    {
        CheckDeadline();
        switch (e)
        {
            case NumberLiteral n:
                var vals = new double[Steps];
                Array.Fill(vals, n.Value);
                return new ScalarValue(vals);
            case StringLiteral s:
                return new StringValue(s.Value);
            case ParenExpr p:
                return Eval(p.Inner);
            case UnaryExpr u:
                return EvalUnary(u);
            case VectorSelector vs:
                return EvalVectorSelector(vs, false);
            case MatrixSelector ms:
                return EvalMatrixSelectorRaw(ms);
            case SubqueryExpr sq:
                return EvalSubqueryRaw(sq);
            case BinaryExpr b:
                return EvalBinary(b);
            case AggregateExpr a:
                return EvalAggregate(a);
            case Call c:
                return EvalCall(c);
            default:
                throw Error("unhandled expression " + e.GetType().Name);
        }
    }

    private Value EvalUnary(UnaryExpr u)
    {
        var v = Eval(u.Operand);
        if (u.Op == TokenKind.Add)
        {
            return v;
        }

        if (v is ScalarValue sv)
        {
            var r = new double[sv.Values.Length];
            for (var i = 0; i < r.Length; i++)
            {
                r[i] = -sv.Values[i];
            }

            return new ScalarValue(r);
        }

        var m = (MatrixValue)v;
        foreach (var s in m.Series)
        {
            if (s.Floats != null)
            {
                var span = CollectionsMarshal.AsSpan(s.Floats);
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] = new FloatPoint(span[i].T, -span[i].F);
                }
            }

            if (s.Histograms != null)
            {
                var span = CollectionsMarshal.AsSpan(s.Histograms);
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] = new HistogramPoint(span[i].T, HistogramMath.Mul(HistogramMath.Copy(span[i].H), -1));
                }
            }

            s.DropName = true;
        }

        return m;
    }

    private (long Ref, bool Fixed) RefTime(long? ts, AtModifier at)
    {
        if (ts is long t)
        {
            return (t, true);
        }

        return at switch
        {
            AtModifier.Start => (_queryStart, true),
            AtModifier.End => (_queryEnd, true),
            _ => (0, false),
        };
    }

    private IEnumerable<ISeries> Select(long mint, long maxt, IReadOnlyList<LabelMatcher> matchers) => _store.Select(mint, maxt, matchers);

    internal IEnumerable<ISeries> SelectSeries(long mint, long maxt, IReadOnlyList<LabelMatcher> matchers) => _store.Select(mint, maxt, matchers);

    internal long QueryStart => _queryStart;

    internal long QueryEnd => _queryEnd;

    /// <summary>Per-step lookback evaluation of an instant selector.</summary>
    private MatrixValue EvalVectorSelector(VectorSelector vs, bool returnTimestamp)
    {
        var (atRef, fixedTime) = RefTime(vs.Timestamp, vs.At);
        var firstRef = (fixedTime ? atRef : Start) - vs.OffsetMs;
        var lastRef = (fixedTime ? atRef : End) - vs.OffsetMs;
        var result = new List<EvalSeries>();
        var buf = new SampleBuffer();
        var steps = Steps;
        foreach (var series in Select(firstRef - _lookback, lastRef, vs.Matchers))
        {
            CheckDeadline();
            buf.Load(series.Iterator(), firstRef - _lookback, lastRef, includeStale: true);
            EvalSeries? outSeries = null;
            var j = -1;
            for (var i = 0; i < steps; i++)
            {
                var ts = Start + (i * Interval);
                var refT = (fixedTime ? atRef : ts) - vs.OffsetMs;
                if (fixedTime)
                {
                    j = -1;
                }

                while (j + 1 < buf.Count && buf.T[j + 1] <= refT)
                {
                    j++;
                }

                if (j < 0 || buf.T[j] < refT - _lookback)
                {
                    continue;
                }

                var h = buf.H[j];
                var f = buf.F[j];
                if (h == null ? StaleNaN.Is(f) : HistogramMath.IsStale(h))
                {
                    continue;
                }

                outSeries ??= new EvalSeries(Labels.FromList(series.Labels));
                if (returnTimestamp)
                {
                    outSeries.Add(ts, buf.T[j] / 1000.0, null);
                }
                else
                {
                    outSeries.Add(ts, f, h);
                }

                AddSamples(1);
            }

            if (outSeries != null)
            {
                outSeries.DropName = returnTimestamp;
                result.Add(outSeries);
            }
        }

        buf.Release();
        return new MatrixValue(result);
    }

    /// <summary>A range selector as a result value (only valid for instant queries).</summary>
    private MatrixValue EvalMatrixSelectorRaw(MatrixSelector ms) => RawMatrix(MatrixSource.FromSelector(this, ms));

    private MatrixValue EvalSubqueryRaw(SubqueryExpr sq) => RawMatrix(MatrixSource.FromSubquery(this, sq));

    /// <summary>The window of every series at the (single) evaluation time, with original sample timestamps.</summary>
    private MatrixValue RawMatrix(MatrixSource src)
    {
        var result = new List<EvalSeries>();
        var refT = src.RefTime(Start);
        for (var s = 0; s < src.Count; s++)
        {
            var w = src.Window(s, refT);
            if (w.Floats.Length == 0 && w.Histograms.Length == 0)
            {
                continue;
            }

            var es = new EvalSeries(src.Metric(s)) { DropName = src.DropName(s) };
            if (w.Floats.Length > 0)
            {
                es.Floats = [.. w.Floats];
            }

            if (w.Histograms.Length > 0)
            {
                es.Histograms = [.. w.Histograms];
            }

            AddSamples(es.Count);
            result.Add(es);
        }

        src.Release();
        return new MatrixValue(result);
    }

    /// <summary>Evaluates the inner expression of a subquery on its own aligned step grid.</summary>
    internal MatrixValue EvalSubqueryInner(SubqueryExpr sq, out long evalStart, out long evalEnd)
    {
        var interval = sq.StepMs != 0 ? sq.StepMs : _defaultSubqueryStep;
        var (atRef, fixedTime) = RefTime(sq.Timestamp, sq.At);
        var outerStart = fixedTime ? atRef : Start;
        var outerEnd = fixedTime ? atRef : End;
        var end = outerEnd - sq.OffsetMs;
        var lo = outerStart - sq.OffsetMs - sq.RangeMs;
        var start = interval * Div(lo, interval);
        if (start < lo)
        {
            start += interval;
        }

        evalStart = start;
        evalEnd = end;
        if (start > end)
        {
            return new MatrixValue([]);
        }

        var sub = new Evaluator(this, start, end, interval);
        var v = sub.Eval(sq.Inner);
        CurrentSamples = sub.CurrentSamples;
        if (v is ScalarValue sv)
        {
            var es = new EvalSeries(Labels.Empty);
            for (var i = 0; i < sv.Values.Length; i++)
            {
                es.Add(start + (i * interval), sv.Values[i], null);
            }

            return new MatrixValue([es]);
        }

        return (MatrixValue)v;
    }

    private static long Div(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>
    /// Steps through the argument matrices, hands the function one vector per argument per step and collects
    /// its output into series (Prometheus rangeEval).
    /// </summary>
    internal MatrixValue RangeEval(Value?[] args, Action<List<Sample>[], double[], long, List<Sample>> fn)
    {
        var steps = Steps;
        var vectors = new List<Sample>[args.Length];
        var scalars = new double[args.Length];
        var cursorsF = new int[args.Length][];
        var cursorsH = new int[args.Length][];
        for (var a = 0; a < args.Length; a++)
        {
            vectors[a] = [];
            if (args[a] is MatrixValue m)
            {
                cursorsF[a] = new int[m.Series.Count];
                cursorsH[a] = new int[m.Series.Count];
            }
        }

        var output = new List<Sample>();
        var bySeries = new Dictionary<Label[], EvalSeries>(LabelArrayComparer.Instance);
        var byRef = new Dictionary<Label[], EvalSeries>(ReferenceEqualityComparer.Instance);
        var ordered = new List<EvalSeries>();
        for (var i = 0; i < steps; i++)
        {
            CheckDeadline();
            var ts = Start + (i * Interval);
            for (var a = 0; a < args.Length; a++)
            {
                switch (args[a])
                {
                    case MatrixValue m:
                        var vec = vectors[a];
                        vec.Clear();
                        var cf = cursorsF[a];
                        var ch = cursorsH[a];
                        for (var s = 0; s < m.Series.Count; s++)
                        {
                            var series = m.Series[s];
                            if (series.Floats != null)
                            {
                                var fl = series.Floats;
                                while (cf[s] < fl.Count && fl[cf[s]].T < ts)
                                {
                                    cf[s]++;
                                }

                                if (cf[s] < fl.Count && fl[cf[s]].T == ts)
                                {
                                    vec.Add(new Sample(series.Metric, fl[cf[s]].F, null, series.DropName));
                                    continue;
                                }
                            }

                            if (series.Histograms != null)
                            {
                                var hl = series.Histograms;
                                while (ch[s] < hl.Count && hl[ch[s]].T < ts)
                                {
                                    ch[s]++;
                                }

                                if (ch[s] < hl.Count && hl[ch[s]].T == ts)
                                {
                                    vec.Add(new Sample(series.Metric, 0, hl[ch[s]].H, series.DropName));
                                }
                            }
                        }

                        break;
                    case ScalarValue sv:
                        scalars[a] = sv.Values[i];
                        break;
                    default:
                        break;
                }
            }

            output.Clear();
            fn(vectors, scalars, ts, output);
            if (steps == 1)
            {
                foreach (var smp in output)
                {
                    var es = new EvalSeries(smp.Metric) { DropName = smp.DropName };
                    es.Add(ts, smp.F, smp.H);
                    ordered.Add(es);
                }

                AddSamples(output.Count);
                break;
            }

            foreach (var smp in output)
            {
                // Label arrays usually recur by reference from step to step; only new ones pay for structural hashing.
                if (!byRef.TryGetValue(smp.Metric, out var es))
                {
                    if (!bySeries.TryGetValue(smp.Metric, out es))
                    {
                        es = new EvalSeries(smp.Metric) { DropName = smp.DropName };
                        bySeries.Add(smp.Metric, es);
                        ordered.Add(es);
                    }

                    byRef[smp.Metric] = es;
                }

                es.Add(ts, smp.F, smp.H);
            }

            AddSamples(output.Count);
        }

        return new MatrixValue(ordered);
    }

    internal ScalarValue EvalScalar(Expr e) => (ScalarValue)Eval(e);

    internal double ScalarAtFirstStep(Expr e) => EvalScalar(e).Values[0];

    /// <summary>Removes names marked for dropping and rejects duplicate label sets (delayed name removal).</summary>
    internal static void CleanupMetricLabels(List<EvalSeries> series)
    {
        foreach (var s in series)
        {
            if (s.DropName)
            {
                s.Metric = Labels.DropMetricName(s.Metric);
                s.DropName = false;
            }
        }

        CheckDuplicates(series);
    }

    internal static void CheckDuplicates(List<EvalSeries> series)
    {
        if (series.Count < 2)
        {
            return;
        }

        var seen = new HashSet<Label[]>(LabelArrayComparer.Instance);
        foreach (var s in series)
        {
            if (!seen.Add(s.Metric))
            {
                throw Error("vector cannot contain metrics with the same labelset");
            }
        }
    }
}
