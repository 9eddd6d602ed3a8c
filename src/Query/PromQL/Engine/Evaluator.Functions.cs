using System.Text;
using System.Text.RegularExpressions;

using TraceLink.Query.PromQL.Parser;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

internal sealed partial class Evaluator
{
    private Value EvalCall(Call c)
    {
        var name = c.Function.Name;
        switch (name)
        {
            case "timestamp" when Unwrap(c.Args[0]) is VectorSelector tvs:
                return EvalVectorSelector(tvs, true);
            case "label_replace":
                return LabelReplace(c);
            case "label_join":
                return LabelJoin(c);
            case "absent_over_time":
                return AbsentOverTime(c);
            case "time":
                return StepScalar(ts => ts / 1000.0);
            case "pi":
                return StepScalar(_ => Math.PI);
            case "scalar":
                return ScalarFunc(c);
            default:
                break;
        }

        for (var i = 0; i < c.Args.Count; i++)
        {
            if (Unwrap(c.Args[i]) is MatrixSelector or SubqueryExpr)
            {
                return EvalRangeFunction(c, i);
            }
        }

        var args = new Value?[c.Args.Count];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = Eval(c.Args[i]);
        }

        if (args.Length == 0 && c.Function.ReturnType == PromValueType.Vector)
        {
            // Date functions default to vector(time()).
            return RangeEval([], (_, _, ts, o) => o.Add(new Sample(Labels.Empty, DateFunc(name, ts / 1000.0), null, false)));
        }

        return RangeEval(args, (v, s, ts, o) => InstantFunction(c, name, v, s, ts, o));
    }

    private ScalarValue StepScalar(Func<long, double> f)
    {
        var r = new double[Steps];
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = f(Start + (i * Interval));
        }

        return new ScalarValue(r);
    }

    private ScalarValue ScalarFunc(Call c)
    {
        var m = (MatrixValue)Eval(c.Args[0]);
        var r = new double[Steps];
        var counts = new int[Steps];
        Array.Fill(r, double.NaN);
        foreach (var s in m.Series)
        {
            if (s.Floats != null)
            {
                foreach (var p in s.Floats)
                {
                    var i = (int)((p.T - Start) / Interval);
                    counts[i]++;
                    r[i] = p.F;
                }
            }

            if (s.Histograms != null)
            {
                foreach (var p in s.Histograms)
                {
                    counts[(int)((p.T - Start) / Interval)] += 2;
                }
            }
        }

        for (var i = 0; i < r.Length; i++)
        {
            if (counts[i] != 1)
            {
                r[i] = double.NaN;
            }
        }

        return new ScalarValue(r);
    }

    private static double DateFunc(string name, double seconds)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Floor(seconds) * 1000).UtcDateTime;
        return name switch
        {
            "days_in_month" => DateTime.DaysInMonth(t.Year, t.Month),
            "day_of_month" => t.Day,
            "day_of_week" => (int)t.DayOfWeek,
            "day_of_year" => t.DayOfYear,
            "hour" => t.Hour,
            "minute" => t.Minute,
            "month" => t.Month,
            "year" => t.Year,
            _ => double.NaN,
        };
    }

    private static double Sgn(double v) => v > 0 ? 1 : v < 0 ? -1 : v;

    private static double? SimpleMath(string name, double v) => name switch
    {
        "abs" => Math.Abs(v),
        "ceil" => Math.Ceiling(v),
        "floor" => Math.Floor(v),
        "exp" => Math.Exp(v),
        "sqrt" => Math.Sqrt(v),
        "ln" => Math.Log(v),
        "log2" => Math.Log2(v),
        "log10" => Math.Log10(v),
        "sgn" => Sgn(v),
        "sin" => Math.Sin(v),
        "cos" => Math.Cos(v),
        "tan" => Math.Tan(v),
        "asin" => Math.Asin(v),
        "acos" => Math.Acos(v),
        "atan" => Math.Atan(v),
        "sinh" => Math.Sinh(v),
        "cosh" => Math.Cosh(v),
        "tanh" => Math.Tanh(v),
        "asinh" => Math.Asinh(v),
        "acosh" => Math.Acosh(v),
        "atanh" => Math.Atanh(v),
        "deg" => v * 180 / Math.PI,
        "rad" => v * Math.PI / 180,
        _ => null,
    };

    private void InstantFunction(Call c, string name, List<Sample>[] v, double[] s, long ts, List<Sample> o)
    {
        switch (name)
        {
            case "vector":
                o.Add(new Sample(Labels.Empty, s[0], null, false));
                return;
            case "absent":
                if (v[0].Count == 0)
                {
                    o.Add(new Sample(AbsentLabels(c.Args[0]), 1, null, false));
                }

                return;
            case "sort" or "sort_desc" or "sort_by_label" or "sort_by_label_desc":
                var copy = new List<Sample>(v[0]);
                if (name == "sort")
                {
                    copy.Sort((a, b) => CompareAsc(a.F, b.F));
                }
                else if (name == "sort_desc")
                {
                    copy.Sort((a, b) => CompareDesc(a.F, b.F));
                }
                else
                {
                    var labelsToSort = new string[c.Args.Count - 1];
                    for (var i = 1; i < c.Args.Count; i++)
                    {
                        labelsToSort[i - 1] = ((StringLiteral)Unwrap(c.Args[i])).Value;
                    }

                    var desc = name == "sort_by_label_desc";
                    copy.Sort((a, b) =>
                    {
                        foreach (var l in labelsToSort)
                        {
                            var cmp = NaturalCompare(Labels.Get(a.Metric, l), Labels.Get(b.Metric, l));
                            if (cmp != 0)
                            {
                                return desc ? -cmp : cmp;
                            }
                        }

                        var r = Labels.Compare(a.Metric, b.Metric);
                        return desc ? -r : r;
                    });
                }

                o.AddRange(copy);
                return;
            case "timestamp":
                foreach (var smp in v[0])
                {
                    o.Add(new Sample(smp.Metric, ts / 1000.0, null, true));
                }

                return;
            case "histogram_quantile":
                HistogramQuantile(c, s[0], v[1], o);
                return;
            case "histogram_fraction":
                foreach (var smp in v[2])
                {
                    if (smp.H != null)
                    {
                        o.Add(new Sample(smp.Metric, HistogramFraction(s[0], s[1], smp.H), null, true));
                    }
                }

                return;
            case "histogram_count" or "histogram_sum" or "histogram_avg" or "histogram_stddev" or "histogram_stdvar":
                foreach (var smp in v[0])
                {
                    if (smp.H == null)
                    {
                        continue;
                    }

                    var h = smp.H;
                    var val = name switch
                    {
                        "histogram_count" => h.Count,
                        "histogram_sum" => h.Sum,
                        "histogram_avg" => h.Sum / h.Count,
                        _ => HistogramVariance(h, name == "histogram_stddev"),
                    };
                    o.Add(new Sample(smp.Metric, val, null, true));
                }

                return;
            case "clamp" or "clamp_min" or "clamp_max":
                double min = double.NegativeInfinity, max = double.PositiveInfinity;
                if (name == "clamp")
                {
                    min = s[1];
                    max = s[2];
                    if (max < min)
                    {
                        return;
                    }
                }
                else if (name == "clamp_min")
                {
                    min = s[1];
                }
                else
                {
                    max = s[1];
                }

                foreach (var smp in v[0])
                {
                    if (smp.H != null)
                    {
                        continue;
                    }

                    var f = name switch
                    {
                        "clamp" => Math.Max(min, Math.Min(max, smp.F)),
                        "clamp_min" => Math.Max(min, smp.F),
                        _ => Math.Min(max, smp.F),
                    };
                    if (name == "clamp" && (double.IsNaN(min) || double.IsNaN(max)))
                    {
                        f = double.NaN;
                    }

                    o.Add(new Sample(smp.Metric, f, null, true));
                }

                return;
            case "round":
                var toNearest = c.Args.Count >= 2 ? s[1] : 1;
                var inverse = 1.0 / toNearest;
                foreach (var smp in v[0])
                {
                    if (smp.H != null)
                    {
                        continue;
                    }

                    o.Add(new Sample(smp.Metric, Math.Floor((smp.F * inverse) + 0.5) / inverse, null, true));
                }

                return;
            case "days_in_month" or "day_of_month" or "day_of_week" or "day_of_year" or "hour" or "minute" or "month" or "year":
                foreach (var smp in v[0])
                {
                    if (smp.H != null)
                    {
                        continue;
                    }

                    o.Add(new Sample(smp.Metric, DateFunc(name, smp.F), null, true));
                }

                return;
            default:
                foreach (var smp in v[0])
                {
                    if (smp.H != null)
                    {
                        continue;
                    }

                    var r = SimpleMath(name, smp.F) ?? throw Error("function not implemented: " + name);
                    o.Add(new Sample(smp.Metric, r, null, true));
                }

                return;
        }
    }

    /// <summary>Orders label values the way Prometheus's sort_by_label does (natural order for digit runs).</summary>
    private static int NaturalCompare(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                var si = i;
                var sj = j;
                while (i < a.Length && char.IsAsciiDigit(a[i]))
                {
                    i++;
                }

                while (j < b.Length && char.IsAsciiDigit(b[j]))
                {
                    j++;
                }

                var na = a[si..i].TrimStart('0');
                var nb = b[sj..j].TrimStart('0');
                if (na.Length != nb.Length)
                {
                    return na.Length - nb.Length;
                }

                var cmp = string.CompareOrdinal(na, nb);
                if (cmp != 0)
                {
                    return cmp;
                }
            }
            else
            {
                if (a[i] != b[j])
                {
                    return a[i] - b[j];
                }

                i++;
                j++;
            }
        }

        return (a.Length - i) - (b.Length - j);
    }

    private static Label[] AbsentLabels(Expr arg)
    {
        IReadOnlyList<LabelMatcher>? lm = Unwrap(arg) switch
        {
            VectorSelector vs => vs.Matchers,
            MatrixSelector ms => ms.Selector.Matchers,
            _ => null,
        };
        if (lm == null)
        {
            return Labels.Empty;
        }

        var result = Labels.Empty;
        var has = new HashSet<string>();
        foreach (var m in lm)
        {
            if (m.Name == Labels.MetricName)
            {
                continue;
            }

            if (m.Type == Storage.Tsdb.MatchType.Equal && !has.Contains(m.Name))
            {
                result = Labels.Set(result, m.Name, m.Value);
                has.Add(m.Name);
            }
            else
            {
                result = Labels.Set(result, m.Name, string.Empty);
            }
        }

        return result;
    }

    private MatrixValue AbsentOverTime(Call c)
    {
        var arg = Unwrap(c.Args[0]);
        var src = arg is SubqueryExpr sq ? MatrixSource.FromSubquery(this, sq) : MatrixSource.FromSelector(this, (MatrixSelector)arg);
        var es = new EvalSeries(AbsentLabels(arg));
        var steps = Steps;
        for (var i = 0; i < steps; i++)
        {
            var ts = Start + (i * Interval);
            var refT = src.RefTime(ts);
            var any = false;
            for (var s = 0; s < src.Count && !any; s++)
            {
                var w = src.Window(s, refT);
                any = w.Floats.Length > 0 || w.Histograms.Length > 0;
            }

            if (!any)
            {
                es.Add(ts, 1, null);
            }
        }

        src.Release();
        return new MatrixValue(es.Count > 0 ? [es] : []);
    }

    private MatrixValue LabelReplace(Call c)
    {
        var dst = ((StringLiteral)Unwrap(c.Args[1])).Value;
        var repl = ((StringLiteral)Unwrap(c.Args[2])).Value;
        var src = ((StringLiteral)Unwrap(c.Args[3])).Value;
        var regexStr = ((StringLiteral)Unwrap(c.Args[4])).Value;
        Regex regex;
        try
        {
            regex = new Regex("^(?:" + regexStr + ")$", RegexOptions.CultureInvariant);
        }
        catch (ArgumentException)
        {
            throw Error("invalid regular expression in label_replace(): " + regexStr);
        }

        if (!IsValidLabelName(dst))
        {
            throw Error("invalid destination label name in label_replace(): " + dst);
        }

        var m = (MatrixValue)Eval(c.Args[0]);
        foreach (var s in m.Series)
        {
            var srcVal = Labels.Get(s.Metric, src);
            var match = regex.Match(srcVal);
            if (!match.Success)
            {
                continue;
            }

            s.Metric = Labels.Set(s.Metric, dst, ExpandTemplate(repl, match, regex));
            if (dst == Labels.MetricName)
            {
                s.DropName = false;
            }
        }

        CheckDuplicates(m.Series);
        return m;
    }

    /// <summary>Go regexp.Expand: $1, ${1}, $name, ${name}, $$.</summary>
    private static string ExpandTemplate(string template, Match match, Regex regex)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            var ch = template[i];
            if (ch != '$' || i + 1 >= template.Length)
            {
                sb.Append(ch);
                continue;
            }

            if (template[i + 1] == '$')
            {
                sb.Append('$');
                i++;
                continue;
            }

            string name;
            if (template[i + 1] == '{')
            {
                var close = template.IndexOf('}', i + 2);
                if (close < 0)
                {
                    sb.Append(ch);
                    continue;
                }

                name = template[(i + 2)..close];
                i = close;
            }
            else
            {
                var j = i + 1;
                while (j < template.Length && (char.IsAsciiLetterOrDigit(template[j]) || template[j] == '_'))
                {
                    j++;
                }

                if (j == i + 1)
                {
                    sb.Append(ch);
                    continue;
                }

                name = template[(i + 1)..j];
                i = j - 1;
            }

            if (int.TryParse(name, out var num))
            {
                if (num < match.Groups.Count && match.Groups[num].Success)
                {
                    sb.Append(match.Groups[num].Value);
                }
            }
            else if (regex.GroupNumberFromName(name) >= 0 && match.Groups[name].Success)
            {
                sb.Append(match.Groups[name].Value);
            }
        }

        return sb.ToString();
    }

    private MatrixValue LabelJoin(Call c)
    {
        var dst = ((StringLiteral)Unwrap(c.Args[1])).Value;
        var sep = ((StringLiteral)Unwrap(c.Args[2])).Value;
        var srcLabels = new string[c.Args.Count - 3];
        for (var i = 3; i < c.Args.Count; i++)
        {
            srcLabels[i - 3] = ((StringLiteral)Unwrap(c.Args[i])).Value;
            if (!IsValidLabelName(srcLabels[i - 3]))
            {
                throw Error("invalid source label name in label_join(): " + srcLabels[i - 3]);
            }
        }

        if (!IsValidLabelName(dst))
        {
            throw Error("invalid destination label name in label_join(): " + dst);
        }

        var m = (MatrixValue)Eval(c.Args[0]);
        var vals = new string[srcLabels.Length];
        foreach (var s in m.Series)
        {
            for (var i = 0; i < srcLabels.Length; i++)
            {
                vals[i] = Labels.Get(s.Metric, srcLabels[i]);
            }

            s.Metric = Labels.Set(s.Metric, dst, string.Join(sep, vals));
            if (dst == Labels.MetricName)
            {
                s.DropName = false;
            }
        }

        return m;
    }

    private static double HistogramVariance(FloatHistogram h, bool stddev)
    {
        var mean = h.Sum / h.Count;
        double variance = 0, cVariance = 0;
        foreach (var b in HistogramMath.AllBuckets(h))
        {
            if (b.Count == 0)
            {
                continue;
            }

            double val;
            if (b.Lower <= 0 && 0 <= b.Upper)
            {
                val = 0;
            }
            else
            {
                val = Math.Sqrt(b.Upper * b.Lower);
                if (b.Upper < 0)
                {
                    val = -val;
                }
            }

            var delta = val - mean;
            (variance, cVariance) = KahanSumInc(b.Count * delta * delta, variance, cVariance);
        }

        variance += cVariance;
        variance /= h.Count;
        return stddev ? Math.Sqrt(variance) : variance;
    }

    private void HistogramQuantile(Call c, double q, List<Sample> vec, List<Sample> o)
    {
        if (double.IsNaN(q) || q < 0 || q > 1)
        {
            Warn("PromQL warning: quantile value should be between 0 and 1, got " + GoFloatG(q));
        }

        var groups = new Dictionary<ulong, (Label[] Metric, List<(double Upper, double Count)> Buckets)>();
        var order = new List<ulong>();
        List<Sample>? hists = null;
        string[] le = ["le"];
        foreach (var smp in vec)
        {
            if (smp.H != null)
            {
                (hists ??= []).Add(smp);
                continue;
            }

            var leStr = Labels.Get(smp.Metric, "le");
            if (!Parser.Lexer.TryParseNumber(leStr.Trim(), out var upper) && !TryParseGoFloat(leStr, out upper))
            {
                Warn($"PromQL warning: bucket label \"le\" is missing or has a malformed value of \"{leStr}\" for metric name \"{Labels.Get(smp.Metric, Labels.MetricName)}\"");
                continue;
            }

            var key = Labels.HashWithout(smp.Metric, le, false);
            if (!groups.TryGetValue(key, out var g))
            {
                g = (Labels.Without(smp.Metric, le, true), []);
                groups[key] = g;
                order.Add(key);
            }

            g.Buckets.Add((upper, smp.F));
        }

        if (hists != null)
        {
            foreach (var smp in hists)
            {
                var key = Labels.HashWithout(smp.Metric, le, false);
                if (groups.TryGetValue(key, out var g) && g.Buckets.Count > 0)
                {
                    Warn($"PromQL warning: vector contains a mix of classic and native histograms for metric name \"{Labels.Get(smp.Metric, Labels.MetricName)}\"");
                    groups.Remove(key);
                    continue;
                }

                o.Add(new Sample(smp.Metric, NativeQuantile(q, smp.H!), null, true));
            }
        }

        foreach (var key in order)
        {
            if (!groups.TryGetValue(key, out var g) || g.Buckets.Count == 0)
            {
                continue;
            }

            var (res, forced) = BucketQuantile(q, g.Buckets);
            o.Add(new Sample(g.Metric, res, null, true));
            if (forced)
            {
                Info($"PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name \"{Labels.Get(g.Metric, Labels.MetricName)}\"");
            }
        }
    }

    private static bool TryParseGoFloat(string s, out double v) =>
        double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out v);

    private static (double Value, bool Forced) BucketQuantile(double q, List<(double Upper, double Count)> buckets)
    {
        if (double.IsNaN(q))
        {
            return (double.NaN, false);
        }

        if (q < 0)
        {
            return (double.NegativeInfinity, false);
        }

        if (q > 1)
        {
            return (double.PositiveInfinity, false);
        }

        buckets.Sort((a, b) => a.Upper.CompareTo(b.Upper));
        if (!double.IsPositiveInfinity(buckets[^1].Upper))
        {
            return (double.NaN, false);
        }

        // coalesce
        var co = new List<(double Upper, double Count)>(buckets.Count);
        foreach (var b in buckets)
        {
            if (co.Count > 0 && co[^1].Upper == b.Upper)
            {
                co[^1] = (b.Upper, co[^1].Count + b.Count);
            }
            else
            {
                co.Add(b);
            }
        }

        var forced = false;
        var prev = co[0].Count;
        for (var i = 1; i < co.Count; i++)
        {
            var curr = co[i].Count;
            if (curr == prev)
            {
                continue;
            }

            if (AlmostEqual(prev, curr, 1e-12))
            {
                co[i] = (co[i].Upper, prev);
                continue;
            }

            if (curr < prev)
            {
                co[i] = (co[i].Upper, prev);
                forced = true;
                continue;
            }

            prev = curr;
        }

        if (co.Count < 2)
        {
            return (double.NaN, forced);
        }

        var observations = co[^1].Count;
        if (observations == 0)
        {
            return (double.NaN, forced);
        }

        var rank = q * observations;
        var b2 = co.Count - 1;
        for (var i = 0; i < co.Count - 1; i++)
        {
            if (co[i].Count >= rank)
            {
                b2 = i;
                break;
            }
        }

        if (b2 == co.Count - 1)
        {
            return (co[^2].Upper, forced);
        }

        if (b2 == 0 && co[0].Upper <= 0)
        {
            return (co[0].Upper, forced);
        }

        double bucketStart = 0;
        var bucketEnd = co[b2].Upper;
        var count = co[b2].Count;
        if (b2 > 0)
        {
            bucketStart = co[b2 - 1].Upper;
            count -= co[b2 - 1].Count;
            rank -= co[b2 - 1].Count;
        }

        return (bucketStart + ((bucketEnd - bucketStart) * (rank / count)), forced);
    }

    internal static bool AlmostEqual(double a, double b, double epsilon)
    {
        if (a == b)
        {
            return true;
        }

        if (double.IsNaN(a) && double.IsNaN(b))
        {
            return true;
        }

        var absSum = Math.Abs(a) + Math.Abs(b);
        var diff = Math.Abs(a - b);
        const double minNormal = 2.2250738585072014e-308;
        if (a == 0 || b == 0 || absSum < minNormal)
        {
            return diff < epsilon * minNormal;
        }

        return diff / Math.Min(absSum, double.MaxValue) < epsilon;
    }

    internal static double NativeQuantile(double q, FloatHistogram h)
    {
        if (q < 0)
        {
            return double.NegativeInfinity;
        }

        if (q > 1)
        {
            return double.PositiveInfinity;
        }

        if (h.Count == 0 || double.IsNaN(q))
        {
            return double.NaN;
        }

        var all = HistogramMath.AllBuckets(h);
        var forward = double.IsNaN(h.Sum) || q < 0.5;
        double rank = forward ? q * h.Count : (1 - q) * h.Count;
        double count = 0;
        HistogramMath.Bucket bucket = default;
        for (var k = 0; k < all.Count; k++)
        {
            var b = all[forward ? k : all.Count - 1 - k];
            bucket = b;
            if (b.Count == 0)
            {
                continue;
            }

            count += b.Count;
            if (count >= rank)
            {
                break;
            }
        }

        var lower = bucket.Lower;
        var upper = bucket.Upper;
        if (!HistogramMath.UsesCustomBuckets(h) && lower < 0 && upper > 0)
        {
            if (!HistogramMath.HasNegative(h) && HistogramMath.HasPositive(h))
            {
                lower = 0;
            }
            else if (!HistogramMath.HasPositive(h) && HistogramMath.HasNegative(h))
            {
                upper = 0;
            }
        }
        else if (HistogramMath.UsesCustomBuckets(h))
        {
            if (double.IsNegativeInfinity(lower))
            {
                if (upper <= 0)
                {
                    return upper;
                }

                lower = 0;
            }
            else if (double.IsPositiveInfinity(upper))
            {
                return lower;
            }
        }

        if (count > h.Count)
        {
            count = h.Count;
        }

        if (count < rank)
        {
            return upper;
        }

        if (forward)
        {
            rank -= count - bucket.Count;
        }
        else
        {
            rank = count - rank;
        }

        return lower + ((upper - lower) * (rank / bucket.Count));
    }

    internal static double HistogramFraction(double lower, double upper, FloatHistogram h)
    {
        if (h.Count == 0 || double.IsNaN(lower) || double.IsNaN(upper))
        {
            return double.NaN;
        }

        if (lower >= upper)
        {
            return 0;
        }

        double rank = 0, lowerRank = 0, upperRank = 0;
        bool lowerSet = false, upperSet = false;
        foreach (var b0 in HistogramMath.AllBuckets(h))
        {
            var bl = b0.Lower;
            var bu = b0.Upper;
            if (bl < 0 && bu > 0)
            {
                if (!HistogramMath.HasNegative(h) && HistogramMath.HasPositive(h))
                {
                    bl = 0;
                }
                else if (!HistogramMath.HasPositive(h) && HistogramMath.HasNegative(h))
                {
                    bu = 0;
                }
            }

            if (!lowerSet && bl >= lower)
            {
                lowerRank = rank;
                lowerSet = true;
            }

            if (!upperSet && bl >= upper)
            {
                upperRank = rank;
                upperSet = true;
            }

            if (lowerSet && upperSet)
            {
                break;
            }

            if (!lowerSet && bl < lower && bu > lower)
            {
                lowerRank = rank + (b0.Count * (lower - bl) / (bu - bl));
                lowerSet = true;
            }

            if (!upperSet && bl < upper && bu > upper)
            {
                upperRank = rank + (b0.Count * (upper - bl) / (bu - bl));
                upperSet = true;
            }

            if (lowerSet && upperSet)
            {
                break;
            }

            rank += b0.Count;
        }

        if (!lowerSet || lowerRank > h.Count)
        {
            lowerRank = h.Count;
        }

        if (!upperSet || upperRank > h.Count)
        {
            upperRank = h.Count;
        }

        return (upperRank - lowerRank) / h.Count;
    }
}
