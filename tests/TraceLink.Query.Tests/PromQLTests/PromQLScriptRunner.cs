using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

using TraceLink.Query.PromQL.Engine;
using TraceLink.Query.PromQL.Parser;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.Tests.PromQLTests;

/// <summary>Outcome of one eval command of a script.</summary>
internal readonly record struct CaseResult(string File, int Line, string Command, bool Passed, bool Skipped, string? Error);

/// <summary>Runs Prometheus promqltest scripts (load, load_with_nhcb, clear, eval[_fail|_warn|_ordered] instant/range).</summary>
/// <remarks>
/// Data goes in only through <see cref="ISeriesStore.Appender"/>, so <paramref name="storeFactory"/> can hand out the
/// real TSDB instead of the in-memory double; a fresh store is created at the start of a script and on <c>clear</c>.
/// </remarks>
internal sealed partial class PromQLScriptRunner(IReadOnlyDictionary<string, string> skipped, Func<ISeriesStore>? storeFactory = null)
{
    private const double Epsilon = 0.000001;
    private readonly Func<ISeriesStore> _factory = storeFactory ?? (() => new InMemorySeriesStore());
    private ISeriesStore _store = null!;
    private PromQLEngine _engine = null!;

    private void NewStore()
    {
        (_store as IDisposable)?.Dispose();
        _store = _factory();
        _engine = new PromQLEngine(_store, new PromQLOptions { MaxSamples = 10000, Timeout = TimeSpan.FromSeconds(100) });
    }

    [GeneratedRegex(@"^load(?:_(with_nhcb))?\s+(.+?)$")]
    private static partial Regex LoadPattern();

    [GeneratedRegex(@"^eval(?:_(fail|warn|ordered))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$")]
    private static partial Regex InstantPattern();

    [GeneratedRegex(@"^eval(?:_(fail|warn))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$")]
    private static partial Regex RangePattern();

    private static long Duration(string s)
    {
        if (!PromDuration.TryParse(s.Trim(), out var ms))
        {
            throw new FormatException("bad duration " + s);
        }

        return ms;
    }

    public List<CaseResult> Run(string fileName, string content)
    {
        var results = new List<CaseResult>();
        var lines = content.Split('\n').Select(l =>
        {
            var t = l.Trim();
            return t.StartsWith('#') ? string.Empty : t;
        }).ToArray();
        NewStore();
        for (var i = 0; i < lines.Length; i++)
        {
            var l = lines[i];
            if (l.Length == 0)
            {
                continue;
            }

            var cmd = l.Split([' ', '\t'], 2)[0].ToLowerInvariant();
            if (cmd == "clear")
            {
                NewStore();
            }
            else if (cmd.StartsWith("load", StringComparison.Ordinal))
            {
                i = Load(lines, i);
            }
            else if (cmd.StartsWith("eval", StringComparison.Ordinal))
            {
                var lineNo = i + 1;
                var (next, eval) = ParseEval(lines, i);
                i = next;
                var key = fileName + ":" + lineNo;
                if (skipped.ContainsKey(key))
                {
                    results.Add(new CaseResult(fileName, lineNo, l, false, true, skipped[key]));
                    continue;
                }

                string? error;
                try
                {
                    error = Execute(_engine, eval);
                }
                catch (Exception ex) when (ex is FormatException or InvalidOperationException or NullReferenceException or IndexOutOfRangeException or ArgumentException or InvalidCastException or KeyNotFoundException or OverflowException)
                {
                    error = "crash: " + ex;
                }

                results.Add(new CaseResult(fileName, lineNo, l, error == null, false, error));
            }
            else
            {
                throw new FormatException($"{fileName}:{i + 1}: invalid command {l}");
            }
        }

        return results;
    }

    private int Load(string[] lines, int i)
    {
        var m = LoadPattern().Match(lines[i]);
        var gap = Duration(m.Groups[2].Value);
        var nhcb = m.Groups[1].Value == "with_nhcb";
        var loaded = new List<(Label[] Labels, List<(long T, double F, FloatHistogram? H)> Samples)>();
        while (i + 1 < lines.Length && lines[i + 1].Length > 0)
        {
            i++;
            var (labels, values) = SeriesDescription.Parse(lines[i]);
            var samples = new List<(long, double, FloatHistogram?)>();
            long ts = 0;
            foreach (var v in values)
            {
                if (!v.Omitted)
                {
                    samples.Add((ts, v.Value, v.Histogram));
                }

                ts += gap;
            }

            loaded.Add((labels, samples));
        }

        var app = _store.Appender();
        foreach (var (labels, samples) in loaded)
        {
            foreach (var (t, f, h) in samples)
            {
                if (h != null)
                {
                    app.AppendFloatHistogram(labels, t, h);
                }
                else
                {
                    app.AppendFloat(labels, t, f);
                }
            }
        }

        if (nhcb)
        {
            AppendCustomHistograms(loaded, app);
        }

        app.CommitAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return i;
    }

    /// <summary>load_with_nhcb: also stores each classic histogram as a custom-bucket native histogram.</summary>
    private static void AppendCustomHistograms(List<(Label[] Labels, List<(long T, double F, FloatHistogram? H)> Samples)> loaded, ISampleAppender app)
    {
        var groups = new Dictionary<string, (Label[] Metric, List<double> Bounds, Dictionary<long, (Dictionary<double, double> Buckets, double Count, double Sum)> ByTs)>();
        foreach (var (labels, samples) in loaded)
        {
            var name = labels.First(l => l.Name == "__name__").Value;
            string suffix;
            double le = 0;
            var leStr = labels.FirstOrDefault(l => l.Name == "le").Value;
            if (name.EndsWith("_bucket", StringComparison.Ordinal) && leStr != null)
            {
                if (!double.TryParse(leStr.Replace("+Inf", "Infinity", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out le) || double.IsNaN(le))
                {
                    continue;
                }

                suffix = "_bucket";
            }
            else if (name.EndsWith("_count", StringComparison.Ordinal))
            {
                suffix = "_count";
            }
            else if (name.EndsWith("_sum", StringComparison.Ordinal))
            {
                suffix = "_sum";
            }
            else
            {
                continue;
            }

            var baseLabels = labels.Where(l => l.Name != "le" && l.Name != "__name__").Append(new Label("__name__", name[..^suffix.Length]))
                .OrderBy(l => l.Name, StringComparer.Ordinal).ToArray();
            var key = string.Join(",", baseLabels.Select(l => l.Name + "=" + l.Value));
            if (!groups.TryGetValue(key, out var g))
            {
                g = (baseLabels, [], []);
                groups[key] = g;
            }

            if (suffix == "_bucket")
            {
                g.Bounds.Add(le);
            }

            foreach (var (t, f, h) in samples)
            {
                if (h != null)
                {
                    continue;
                }

                if (!g.ByTs.TryGetValue(t, out var th))
                {
                    th = ([], 0, 0);
                }

                if (suffix == "_bucket")
                {
                    th.Buckets[le] = f;
                }
                else if (suffix == "_count")
                {
                    th.Count = f;
                }
                else
                {
                    th.Sum = f;
                }

                g.ByTs[t] = th;
            }
        }

        foreach (var g in groups.Values)
        {
            var upper = g.Bounds.Distinct().OrderBy(x => x).ToList();
            if (upper.Count == 0)
            {
                continue;
            }

            var custom = double.IsPositiveInfinity(upper[^1]) ? upper.Take(upper.Count - 1).ToArray() : upper.ToArray();
            foreach (var (t, th) in g.ByTs.OrderBy(x => x.Key))
            {
                var buckets = new double[upper.Count];
                double prev = 0, total = 0;
                for (var k = 0; k < upper.Count; k++)
                {
                    var cur = th.Buckets.TryGetValue(upper[k], out var c) ? c : 0;
                    buckets[k] = cur - prev;
                    total += cur - prev;
                    prev = cur;
                }

                var fh = new FloatHistogram
                {
                    Schema = HistogramMath.CustomBucketsSchema,
                    Sum = th.Sum,
                    Count = th.Count != 0 ? th.Count : total,
                    PositiveSpans = [new BucketSpan(0, (uint)upper.Count)],
                    PositiveBuckets = buckets,
                    CustomValues = custom,
                };
                app.AppendFloatHistogram(g.Metric, t, HistogramMath.Compact(fh));
            }
        }
    }

    private sealed class EvalCommand
    {
        public string Expr = string.Empty;
        public bool IsRange;
        public long Start;
        public long End;
        public long Step;
        public bool Fail;
        public bool Warn;
        public bool Ordered;
        public string? ExpectedFailMessage;
        public Regex? ExpectedFailRegexp;
        public bool ExpectScalar;
        public double ScalarValue;
        public Dictionary<string, (int Pos, Label[] Labels, List<SequenceValue> Values)> Expected = [];
    }

    private static (int, EvalCommand) ParseEval(string[] lines, int i)
    {
        var cmd = new EvalCommand();
        var im = InstantPattern().Match(lines[i]);
        if (im.Success)
        {
            cmd.Expr = im.Groups[3].Value;
            cmd.Start = Duration(im.Groups[2].Value);
            SetMod(cmd, im.Groups[1].Value);
        }
        else
        {
            var rm = RangePattern().Match(lines[i]);
            if (!rm.Success)
            {
                throw new FormatException("invalid eval command: " + lines[i]);
            }

            cmd.IsRange = true;
            cmd.Start = Duration(rm.Groups[2].Value);
            cmd.End = Duration(rm.Groups[3].Value);
            cmd.Step = Duration(rm.Groups[4].Value);
            cmd.Expr = rm.Groups[5].Value;
            SetMod(cmd, rm.Groups[1].Value);
        }

        var pos = 1;
        while (i + 1 < lines.Length && lines[i + 1].Length > 0)
        {
            i++;
            var def = lines[i];
            if (cmd.Fail && def.StartsWith("expected_fail_message", StringComparison.Ordinal))
            {
                cmd.ExpectedFailMessage = def["expected_fail_message".Length..].Trim();
                break;
            }

            if (cmd.Fail && def.StartsWith("expected_fail_regexp", StringComparison.Ordinal))
            {
                cmd.ExpectedFailRegexp = new Regex(def["expected_fail_regexp".Length..].Trim());
                break;
            }

            if (TryNumber(def, out var f))
            {
                cmd.ExpectScalar = true;
                cmd.ScalarValue = f;
                break;
            }

            var (labels, values) = SeriesDescription.Parse(def);
            cmd.Expected[Key(labels)] = (pos, labels, values);
            pos++;
        }

        return (i, cmd);
    }

    private static bool TryNumber(string s, out double f)
    {
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            f = l;
            return true;
        }

        var t = s.StartsWith('+') ? s[1..] : s;
        if (t.StartsWith('-') && Lexer.TryParseNumber(t[1..], out f))
        {
            f = -f;
            return true;
        }

        return Lexer.TryParseNumber(t, out f);
    }

    private static void SetMod(EvalCommand cmd, string mod)
    {
        cmd.Fail = mod == "fail";
        cmd.Warn = mod == "warn";
        cmd.Ordered = mod == "ordered";
    }

    private static string Key(Label[] labels) => string.Join("\u0001", labels.Select(l => l.Name + "\u0002" + l.Value));

    private static string? CheckFailure(EvalCommand cmd, Exception ex)
    {
        if (cmd.ExpectedFailMessage != null && cmd.ExpectedFailMessage != ex.Message)
        {
            return $"expected error \"{cmd.ExpectedFailMessage}\", got: {ex.Message}";
        }

        if (cmd.ExpectedFailRegexp != null && !cmd.ExpectedFailRegexp.IsMatch(ex.Message))
        {
            return $"expected error matching \"{cmd.ExpectedFailRegexp}\", got: {ex.Message}";
        }

        return null;
    }

    private static string? Execute(PromQLEngine engine, EvalCommand cmd)
    {
        if (cmd.IsRange)
        {
            QueryResult res;
            try
            {
                res = engine.Range(cmd.Expr, cmd.Start, cmd.End, cmd.Step);
            }
            catch (Exception ex) when (ex is PromQLException or PromQLParseException)
            {
                return cmd.Fail ? CheckFailure(cmd, ex) : "error: " + ex.Message;
            }

            if (cmd.Fail)
            {
                return "expected error but got none";
            }

            return CheckWarnings(cmd, res) ?? CompareMatrix(cmd, res);
        }

        var queries = new List<(string Expr, long Time)> { (cmd.Expr, cmd.Start) };
        queries.AddRange(AtModifierVariants(cmd.Expr, cmd.Start));
        foreach (var (expr, time) in queries)
        {
            var err = ExecuteInstant(engine, cmd, expr, time);
            if (err != null)
            {
                return expr == cmd.Expr && time == cmd.Start ? err : $"@ variant {expr} at {time}: {err}";
            }
        }

        return null;
    }

    private static readonly HashSet<string> AtModifierUnsafeFunctions =
    [
        "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year", "predict_linear", "time", "timestamp",
    ];

    /// <summary>Like upstream: pin every selector without @ to the evaluation time and run at other times.</summary>
    private static List<(string, long)> AtModifierVariants(string exprStr, long ts)
    {
        Expr expr;
        try
        {
            expr = PromQLParser.ParseExpr(exprStr);
        }
        catch (PromQLParseException)
        {
            return [];
        }

        var unsafeFn = false;
        void Walk(Expr e, bool underAt)
        {
            switch (e)
            {
                case VectorSelector vs:
                    if (!underAt && vs.Timestamp == null && vs.At == AtModifier.None)
                    {
                        vs.Timestamp = ts;
                    }

                    break;
                case MatrixSelector ms:
                    Walk(ms.Selector, underAt);
                    break;
                case SubqueryExpr sq:
                    var had = sq.Timestamp != null || sq.At != AtModifier.None;
                    if (!underAt && !had)
                    {
                        sq.Timestamp = ts;
                    }

                    Walk(sq.Inner, underAt || sq.Timestamp != null || sq.At != AtModifier.None);
                    break;
                case Call c:
                    unsafeFn |= AtModifierUnsafeFunctions.Contains(c.Function.Name);
                    foreach (var a in c.Args)
                    {
                        Walk(a, underAt);
                    }

                    break;
                case AggregateExpr a:
                    if (a.Param != null)
                    {
                        Walk(a.Param, underAt);
                    }

                    Walk(a.Inner, underAt);
                    break;
                case BinaryExpr b:
                    Walk(b.Lhs, underAt);
                    Walk(b.Rhs, underAt);
                    break;
                case UnaryExpr u:
                    Walk(u.Operand, underAt);
                    break;
                case ParenExpr p:
                    Walk(p.Inner, underAt);
                    break;
                default:
                    break;
            }
        }

        Walk(expr, false);
        if (unsafeFn)
        {
            return [];
        }

        var printed = expr.ToString();
        long[] times = ts == 0 ? [-1000, 0, 1000] : [-10 * ts, 0, ts / 5, ts, 10 * ts];
        return times.Select(t => (printed, t)).ToList();
    }

    private static string? ExecuteInstant(PromQLEngine engine, EvalCommand cmd, string expr, long time)
    {
        QueryResult inst;
        try
        {
            inst = engine.Instant(expr, time);
        }
        catch (Exception ex) when (ex is PromQLException or PromQLParseException)
        {
            return cmd.Fail ? CheckFailure(cmd, ex) : "error: " + ex.Message;
        }

        if (cmd.Fail)
        {
            return "expected error but got none";
        }

        var err = CheckWarnings(cmd, inst) ?? CompareInstant(cmd, inst);
        if (err != null || cmd.Ordered)
        {
            return err;
        }

        // Like upstream, the same query must give the same answer as the middle step of a range query.
        QueryResult range;
        try
        {
            range = engine.Range(expr, time - 60000, time + 60000, 60000);
        }
        catch (Exception ex) when (ex is PromQLException or PromQLParseException)
        {
            return inst.Type == PromValueType.Matrix || inst.Type == PromValueType.String ? null : "range mode error: " + ex.Message;
        }

        var vec = new List<ResultSeries>();
        foreach (var s in range.Series)
        {
            var f = s.Floats.Where(p => p.T == time).Take(1).ToList();
            var h = s.Histograms.Where(p => p.T == time).Take(1).ToList();
            if (f.Count > 0)
            {
                vec.Add(new ResultSeries(s.Metric, f, []));
            }
            else if (h.Count > 0)
            {
                vec.Add(new ResultSeries(s.Metric, [], h));
            }
        }

        if (inst.Type == PromValueType.Scalar)
        {
            var sv = vec.Count > 0 && vec[0].Floats.Count > 0 ? vec[0].Floats[0].F : double.NaN;
            return Prefix("range mode: ", CompareInstant(cmd, new QueryResult { Type = PromValueType.Scalar, Scalar = sv }));
        }

        return Prefix("range mode: ", CompareInstant(cmd, new QueryResult { Type = PromValueType.Vector, Series = vec }));
    }

    private static string? Prefix(string p, string? e) => e == null ? null : p + e;

    private static string? CheckWarnings(EvalCommand cmd, QueryResult res)
    {
        if (!cmd.Warn && res.Warnings.Count > 0)
        {
            return "unexpected warnings: " + string.Join("; ", res.Warnings);
        }

        if (cmd.Warn && res.Warnings.Count == 0)
        {
            return "expected warnings but got none";
        }

        return null;
    }

    private static string Fmt(ResultSeries s) =>
        Labels(s.Metric) + " floats=[" + string.Join(" ", s.Floats.Select(p => p.T + ":" + p.F.ToString(CultureInfo.InvariantCulture))) + "] hists=" + s.Histograms.Count;

    private static string Labels(Label[] ls) => "{" + string.Join(",", ls.Select(l => l.Name + "=\"" + l.Value + "\"")) + "}";

    private static string? CompareInstant(EvalCommand cmd, QueryResult res)
    {
        switch (res.Type)
        {
            case PromValueType.Scalar:
                if (!cmd.ExpectScalar)
                {
                    return "expected vector or matrix result, but got scalar " + res.Scalar;
                }

                return AlmostEqual(cmd.ScalarValue, res.Scalar) ? null : $"expected scalar {cmd.ScalarValue} but got {res.Scalar}";
            case PromValueType.Vector:
                if (cmd.ExpectScalar)
                {
                    return "expected scalar result, but got vector";
                }

                var seen = new HashSet<string>();
                for (var p = 0; p < res.Series.Count; p++)
                {
                    var s = res.Series[p];
                    var key = Key(s.Metric);
                    if (!cmd.Expected.TryGetValue(key, out var exp))
                    {
                        return "unexpected metric " + Fmt(s);
                    }

                    if (cmd.Ordered && exp.Pos != p + 1)
                    {
                        return $"expected metric {Labels(s.Metric)} at position {exp.Pos} but was at {p + 1}";
                    }

                    var e0 = exp.Values[0];
                    var gotH = s.Histograms.Count > 0 ? s.Histograms[0].H : null;
                    if (e0.Histogram == null && gotH != null)
                    {
                        return $"expected float value for {Labels(s.Metric)} but got histogram";
                    }

                    if (e0.Histogram != null && gotH == null)
                    {
                        return $"expected histogram for {Labels(s.Metric)} but got float {s.Floats[0].F}";
                    }

                    if (e0.Histogram != null && !CompareHistogram(e0.Histogram, gotH!))
                    {
                        return $"histogram mismatch for {Labels(s.Metric)}: expected {HistString(e0.Histogram)} got {HistString(gotH!)}";
                    }

                    if (e0.Histogram == null && !AlmostEqual(e0.Value, s.Floats[0].F))
                    {
                        return $"expected {e0.Value} for {Labels(s.Metric)} but got {s.Floats[0].F}";
                    }

                    seen.Add(key);
                }

                foreach (var k in cmd.Expected.Keys)
                {
                    if (!seen.Contains(k))
                    {
                        return "expected metric " + Labels(cmd.Expected[k].Labels) + " not found";
                    }
                }

                return null;
            case PromValueType.Matrix:
                return CompareMatrix(cmd, res);
            default:
                return "unexpected string result";
        }
    }

    private static string? CompareMatrix(EvalCommand cmd, QueryResult res)
    {
        if (cmd.Ordered)
        {
            return "expected ordered result, but query returned a matrix";
        }

        if (cmd.ExpectScalar)
        {
            return "expected scalar result, but got matrix";
        }

        for (var i = 0; i + 1 < res.Series.Count; i++)
        {
            if (PromQL.Engine.Labels.Compare(res.Series[i].Metric, res.Series[i + 1].Metric) > 0)
            {
                return "matrix results should always be sorted by labels";
            }
        }

        var seen = new HashSet<string>();
        foreach (var s in res.Series)
        {
            var key = Key(s.Metric);
            if (!cmd.Expected.TryGetValue(key, out var exp))
            {
                return "unexpected metric " + Fmt(s);
            }

            seen.Add(key);
            var ef = new List<FloatPoint>();
            var eh = new List<HistogramPoint>();
            for (var i = 0; i < exp.Values.Count; i++)
            {
                var t = cmd.Start + (i * cmd.Step);
                if (t > cmd.End)
                {
                    return $"expected {exp.Values.Count} points but query time range cannot return this many points";
                }

                var e = exp.Values[i];
                if (e.Histogram != null)
                {
                    eh.Add(new HistogramPoint(t, e.Histogram));
                }
                else if (!e.Omitted)
                {
                    ef.Add(new FloatPoint(t, e.Value));
                }
            }

            if (ef.Count != s.Floats.Count || eh.Count != s.Histograms.Count)
            {
                return $"expected {ef.Count} float points and {eh.Count} histogram points for {Labels(s.Metric)}, but got {Fmt(s)}";
            }

            for (var i = 0; i < ef.Count; i++)
            {
                if (ef[i].T != s.Floats[i].T || !AlmostEqual(ef[i].F, s.Floats[i].F))
                {
                    return $"expected float {ef[i]} at index {i} for {Labels(s.Metric)}, got {s.Floats[i]}";
                }
            }

            for (var i = 0; i < eh.Count; i++)
            {
                if (eh[i].T != s.Histograms[i].T || !CompareHistogram(eh[i].H, s.Histograms[i].H))
                {
                    return $"expected histogram at index {i} (t={eh[i].T}) for {Labels(s.Metric)}: {HistString(eh[i].H)} got t={s.Histograms[i].T} {HistString(s.Histograms[i].H)}";
                }
            }
        }

        foreach (var k in cmd.Expected.Keys)
        {
            if (!seen.Contains(k))
            {
                return "expected metric " + Labels(cmd.Expected[k].Labels) + " not found";
            }
        }

        return null;
    }

    private static bool AlmostEqual(double a, double b) => Evaluator.AlmostEqual(a, b, Epsilon);

    internal static string HistString(FloatHistogram h)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{{schema:{h.Schema} count:{h.Count} sum:{h.Sum} z:{h.ZeroCount}/{h.ZeroThreshold} pos:");
        sb.Append(string.Join(",", h.PositiveSpans.Select(s => s.Offset + "/" + s.Length))).Append('[').Append(string.Join(" ", h.PositiveBuckets)).Append("] neg:");
        sb.Append(string.Join(",", h.NegativeSpans.Select(s => s.Offset + "/" + s.Length))).Append('[').Append(string.Join(" ", h.NegativeBuckets)).Append("] cv:");
        sb.Append(string.Join(" ", h.CustomValues)).Append('}');
        return sb.ToString();
    }

    private static bool CompareHistogram(FloatHistogram exp0, FloatHistogram cur0)
    {
        var exp = HistogramMath.Compact(HistogramMath.Copy(exp0));
        var cur = HistogramMath.Compact(HistogramMath.Copy(cur0));
        if (exp.Schema != cur.Schema || !AlmostEqual(exp.Count, cur.Count) || !AlmostEqual(exp.Sum, cur.Sum))
        {
            return false;
        }

        if (exp.Schema == HistogramMath.CustomBucketsSchema && !HistogramMath.BucketsMatch(exp.CustomValues, cur.CustomValues))
        {
            return false;
        }

        if (exp.ZeroThreshold != cur.ZeroThreshold || !AlmostEqual(exp.ZeroCount, cur.ZeroCount))
        {
            return false;
        }

        return exp.PositiveSpans.AsSpan().SequenceEqual(cur.PositiveSpans) && exp.NegativeSpans.AsSpan().SequenceEqual(cur.NegativeSpans)
               && BucketsAlmostEqual(exp.PositiveBuckets, cur.PositiveBuckets) && BucketsAlmostEqual(exp.NegativeBuckets, cur.NegativeBuckets);
    }

    private static bool BucketsAlmostEqual(double[] a, double[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (!AlmostEqual(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }
}
