using TraceLink.Query.PromQL.Parser;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

internal sealed partial class Evaluator
{
    private sealed class Group
    {
        public bool Seen;
        public double FloatValue;
        public double FloatMean;
        public double KahanC;
        public double GroupCount;
        public bool HasFloat;
        public bool HasHistogram;
        public bool IncompatibleHistograms;
        public bool IncrementalMean;
        public FloatHistogram? Histogram;
        public List<double>? Values;
        public List<Sample>? Heap;
        public bool Complete;
    }

    private MatrixValue EvalAggregate(AggregateExpr a)
    {
        var grouping = a.Grouping.ToArray();
        Array.Sort(grouping, StringComparer.Ordinal);
        if (a.Op == "count_values")
        {
            var label = ((StringLiteral)Unwrap(a.Param!)).Value;
            if (!IsValidLabelName(label))
            {
                throw Error($"invalid label name \"{label}\"");
            }

            var g2 = grouping;
            if (!a.Without)
            {
                g2 = [.. grouping, label];
                Array.Sort(g2, StringComparer.Ordinal);
            }

            var inner = Eval(a.Inner);
            return RangeEval([inner], (v, _, _, o) => CountValues(a, g2, label, v[0], o));
        }

        double param = 0;
        if (a.Param != null)
        {
            param = ScalarAtFirstStep(a.Param);
        }

        var input = (MatrixValue)Eval(a.Inner);
        return AggregateRange(a, grouping, input.Series, param);
    }

    internal static bool IsValidLabelName(string s)
    {
        if (s.Length == 0)
        {
            return false;
        }

        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (!(char.IsAsciiLetter(c) || c == '_' || (i > 0 && char.IsAsciiDigit(c))))
            {
                return false;
            }
        }

        return true;
    }

    private static ulong GroupingKey(Label[] metric, string[] grouping, bool without)
    {
        if (without)
        {
            return Labels.HashWithout(metric, grouping, true);
        }

        return grouping.Length == 0 ? 0 : Labels.HashFor(metric, grouping);
    }

    private static Label[] GroupingLabels(Label[] metric, string[] grouping, bool without)
    {
        if (without)
        {
            return Labels.Without(metric, grouping, true);
        }

        return grouping.Length > 0 ? Labels.Keep(metric, grouping) : Labels.Empty;
    }

    private MatrixValue AggregateRange(AggregateExpr a, string[] grouping, List<EvalSeries> input, double param)
    {
        var isK = a.Op is "topk" or "bottomk" or "limitk" or "limit_ratio";
        var groupIndex = new Dictionary<ulong, int>();
        var seriesToGroup = new int[input.Count];
        var result = new List<EvalSeries>();
        for (var si = 0; si < input.Count; si++)
        {
            var key = GroupingKey(input[si].Metric, grouping, a.Without);
            if (!groupIndex.TryGetValue(key, out var idx))
            {
                idx = groupIndex.Count;
                groupIndex[key] = idx;
                if (!isK)
                {
                    result.Add(new EvalSeries(GroupingLabels(input[si].Metric, grouping, a.Without)));
                }
            }

            seriesToGroup[si] = idx;
        }

        var groups = new Group[groupIndex.Count];
        for (var i = 0; i < groups.Length; i++)
        {
            groups[i] = new Group();
        }

        var k = 0;
        double ratio = 0;
        switch (a.Op)
        {
            case "topk" or "bottomk" or "limitk":
                if (double.IsNaN(param) || param >= 9.2233720368547758e18 || param <= -9.2233720368547758e18)
                {
                    throw Error($"Scalar value {GoFloatG(param)} overflows int64");
                }

                k = (int)Math.Min((long)param, input.Count);
                if (k < 1)
                {
                    return new MatrixValue([]);
                }

                break;
            case "limit_ratio":
                if (double.IsNaN(param))
                {
                    throw Error($"Ratio value {GoFloatG(param)} is NaN");
                }

                if (param == 0)
                {
                    return new MatrixValue([]);
                }

                ratio = Math.Clamp(param, -1, 1);
                if (ratio != param)
                {
                    Warn($"PromQL warning: ratio value should be between -1 and 1, got {GoFloatG(param)}, capping to {GoFloatG(ratio)}");
                }

                break;
            case "quantile":
                if (double.IsNaN(param) || param < 0 || param > 1)
                {
                    Warn("PromQL warning: quantile value should be between 0 and 1, got " + GoFloatG(param));
                }

                break;
            default:
                break;
        }

        var cursorsF = new int[input.Count];
        var cursorsH = new int[input.Count];
        var steps = Steps;
        var kSeries = new Dictionary<Label[], EvalSeries>(LabelArrayComparer.Instance);
        var kOrdered = new List<EvalSeries>();
        for (var i = 0; i < steps; i++)
        {
            CheckDeadline();
            var ts = Start + (i * Interval);
            if (isK)
            {
                var outSamples = AggregationK(a.Op, k, ratio, input, seriesToGroup, groups, ts, cursorsF, cursorsH);
                foreach (var smp in outSamples)
                {
                    if (steps == 1)
                    {
                        var es1 = new EvalSeries(smp.Metric) { DropName = smp.DropName };
                        es1.Add(ts, smp.F, smp.H);
                        kOrdered.Add(es1);
                        continue;
                    }

                    if (!kSeries.TryGetValue(smp.Metric, out var es))
                    {
                        es = new EvalSeries(smp.Metric) { DropName = smp.DropName };
                        kSeries[smp.Metric] = es;
                        kOrdered.Add(es);
                    }

                    es.Add(ts, smp.F, smp.H);
                }

                AddSamples(outSamples.Count);
            }
            else
            {
                Aggregation(a, param, input, result, seriesToGroup, groups, ts, cursorsF, cursorsH);
            }
        }

        if (isK)
        {
            return new MatrixValue(kOrdered);
        }

        var dst = new List<EvalSeries>(result.Count);
        foreach (var s in result)
        {
            if (s.Count > 0)
            {
                dst.Add(s);
            }
        }

        return new MatrixValue(dst);
    }

    private static bool NextValue(EvalSeries s, long ts, ref int cf, ref int ch, out double f, out FloatHistogram? h)
    {
        if (s.Floats != null)
        {
            while (cf < s.Floats.Count && s.Floats[cf].T < ts)
            {
                cf++;
            }

            if (cf < s.Floats.Count && s.Floats[cf].T == ts)
            {
                f = s.Floats[cf].F;
                h = null;
                return true;
            }
        }

        if (s.Histograms != null)
        {
            while (ch < s.Histograms.Count && s.Histograms[ch].T < ts)
            {
                ch++;
            }

            if (ch < s.Histograms.Count && s.Histograms[ch].T == ts)
            {
                f = 0;
                h = s.Histograms[ch].H;
                return true;
            }
        }

        f = 0;
        h = null;
        return false;
    }

    internal static (double Sum, double C) KahanSumInc(double inc, double sum, double c)
    {
        var t = sum + inc;
        if (double.IsInfinity(t))
        {
            c = 0;
        }
        else if (Math.Abs(sum) >= Math.Abs(inc))
        {
            c += (sum - t) + inc;
        }
        else
        {
            c += (inc - t) + sum;
        }

        return (t, c);
    }

    private void Aggregation(AggregateExpr a, double q, List<EvalSeries> input, List<EvalSeries> output, int[] seriesToGroup, Group[] groups, long ts, int[] cursorsF, int[] cursorsH)
    {
        var op = a.Op;
        foreach (var g in groups)
        {
            g.Seen = false;
        }

        for (var si = 0; si < input.Count; si++)
        {
            if (!NextValue(input[si], ts, ref cursorsF[si], ref cursorsH[si], out var f, out var h))
            {
                continue;
            }

            var group = groups[seriesToGroup[si]];
            if (!group.Seen)
            {
                group.Seen = true;
                group.FloatValue = f;
                group.FloatMean = f;
                group.KahanC = 0;
                group.IncompatibleHistograms = false;
                group.GroupCount = 1;
                group.HasFloat = false;
                group.HasHistogram = false;
                group.IncrementalMean = false;
                group.Histogram = null;
                switch (op)
                {
                    case "avg" or "sum":
                        if (h == null)
                        {
                            group.HasFloat = true;
                        }
                        else
                        {
                            group.Histogram = HistogramMath.Copy(h);
                            group.HasHistogram = true;
                        }

                        break;
                    case "stdvar" or "stddev":
                        group.FloatValue = 0;
                        break;
                    case "quantile":
                        group.Values = [f];
                        break;
                    case "group":
                        group.FloatValue = 1;
                        break;
                    default:
                        break;
                }

                continue;
            }

            if (group.IncompatibleHistograms)
            {
                continue;
            }

            switch (op)
            {
                case "sum":
                    if (h != null)
                    {
                        group.HasHistogram = true;
                        if (group.Histogram != null && HistogramMath.AddInPlace(group.Histogram, h, 1, out var err) == null)
                        {
                            WarnHistogramError(err);
                            group.IncompatibleHistograms = true;
                        }
                    }
                    else
                    {
                        group.HasFloat = true;
                        (group.FloatValue, group.KahanC) = KahanSumInc(f, group.FloatValue, group.KahanC);
                    }

                    break;
                case "avg":
                    group.GroupCount++;
                    if (h != null)
                    {
                        group.HasHistogram = true;
                        if (group.Histogram != null)
                        {
                            var left = HistogramMath.Div(HistogramMath.Copy(h), group.GroupCount);
                            var right = HistogramMath.Div(HistogramMath.Copy(group.Histogram), group.GroupCount);
                            var toAdd = HistogramMath.AddInPlace(left, right, -1, out var err);
                            if (toAdd == null || HistogramMath.AddInPlace(group.Histogram, toAdd, 1, out err) == null)
                            {
                                WarnHistogramError(err);
                                group.IncompatibleHistograms = true;
                            }
                        }
                    }
                    else
                    {
                        group.HasFloat = true;
                        if (!group.IncrementalMean)
                        {
                            var (nv, nc) = KahanSumInc(f, group.FloatValue, group.KahanC);
                            if (!double.IsInfinity(nv))
                            {
                                group.FloatValue = nv;
                                group.KahanC = nc;
                                break;
                            }

                            group.IncrementalMean = true;
                            group.FloatMean = group.FloatValue / (group.GroupCount - 1);
                            group.KahanC /= group.GroupCount - 1;
                        }

                        if (double.IsInfinity(group.FloatMean))
                        {
                            if (double.IsInfinity(f) && (group.FloatMean > 0) == (f > 0))
                            {
                                break;
                            }

                            if (!double.IsInfinity(f) && !double.IsNaN(f))
                            {
                                break;
                            }
                        }

                        var currentMean = group.FloatMean + group.KahanC;
                        (group.FloatMean, group.KahanC) = KahanSumInc((f / group.GroupCount) - (currentMean / group.GroupCount), group.FloatMean, group.KahanC);
                    }

                    break;
                case "group":
                    break;
                case "max":
                    if (group.FloatValue < f || double.IsNaN(group.FloatValue))
                    {
                        group.FloatValue = f;
                    }

                    break;
                case "min":
                    if (group.FloatValue > f || double.IsNaN(group.FloatValue))
                    {
                        group.FloatValue = f;
                    }

                    break;
                case "count":
                    group.GroupCount++;
                    break;
                case "stdvar" or "stddev":
                    if (h == null)
                    {
                        group.GroupCount++;
                        var delta = f - group.FloatMean;
                        group.FloatMean += delta / group.GroupCount;
                        group.FloatValue += delta * (f - group.FloatMean);
                    }

                    break;
                case "quantile":
                    group.Values!.Add(f);
                    break;
                default:
                    throw Error("expected aggregation operator but got " + op);
            }
        }

        for (var ri = 0; ri < groups.Length; ri++)
        {
            var aggr = groups[ri];
            if (!aggr.Seen)
            {
                continue;
            }

            FloatHistogram? hv = null;
            var fv = aggr.FloatValue;
            switch (op)
            {
                case "avg":
                    if (aggr.HasFloat && aggr.HasHistogram)
                    {
                        Warn("PromQL warning: encountered a mix of histograms and floats for aggregation");
                        continue;
                    }

                    if (aggr.IncompatibleHistograms)
                    {
                        continue;
                    }

                    if (aggr.HasHistogram)
                    {
                        hv = HistogramMath.Compact(aggr.Histogram!);
                    }
                    else if (aggr.IncrementalMean)
                    {
                        fv = aggr.FloatMean + aggr.KahanC;
                    }
                    else
                    {
                        fv = (aggr.FloatValue + aggr.KahanC) / aggr.GroupCount;
                    }

                    break;
                case "count":
                    fv = aggr.GroupCount;
                    break;
                case "stdvar":
                    fv = aggr.FloatValue / aggr.GroupCount;
                    break;
                case "stddev":
                    fv = Math.Sqrt(aggr.FloatValue / aggr.GroupCount);
                    break;
                case "quantile":
                    fv = Quantile(q, aggr.Values!);
                    break;
                case "sum":
                    if (aggr.HasFloat && aggr.HasHistogram)
                    {
                        Warn("PromQL warning: encountered a mix of histograms and floats for aggregation");
                        continue;
                    }

                    if (aggr.IncompatibleHistograms)
                    {
                        continue;
                    }

                    if (aggr.HasHistogram)
                    {
                        hv = HistogramMath.Compact(aggr.Histogram!);
                    }
                    else
                    {
                        fv = aggr.FloatValue + aggr.KahanC;
                    }

                    break;
                default:
                    break;
            }

            var ss = output[ri];
            ss.Add(ts, fv, hv);
            AddSamples(1);

            // Prometheus 2.55 copies the flag from the input series with the group's index (an accident the tests pin).
            ss.DropName = ri < input.Count && input[ri].DropName;
        }
    }

    internal static double Quantile(double q, List<double> values)
    {
        if (values.Count == 0 || double.IsNaN(q))
        {
            return double.NaN;
        }

        if (q < 0)
        {
            return double.NegativeInfinity;
        }

        if (q > 1)
        {
            return double.PositiveInfinity;
        }

        values.Sort(CompareNaNFirst);
        var n = (double)values.Count;
        var rank = q * (n - 1);
        var lowerIndex = Math.Max(0, Math.Floor(rank));
        var upperIndex = Math.Min(n - 1, lowerIndex + 1);
        var weight = rank - Math.Floor(rank);
        return (values[(int)lowerIndex] * (1 - weight)) + (values[(int)upperIndex] * weight);
    }

    private static int CompareNaNFirst(double a, double b)
    {
        if (double.IsNaN(a))
        {
            return double.IsNaN(b) ? 0 : -1;
        }

        if (double.IsNaN(b))
        {
            return 1;
        }

        return a.CompareTo(b);
    }

    private static List<Sample> AggregationK(string op, int k, double ratio, List<EvalSeries> input, int[] seriesToGroup, Group[] groups, long ts, int[] cursorsF, int[] cursorsH)
    {
        foreach (var g in groups)
        {
            g.Seen = false;
            g.Complete = false;
        }

        var remaining = groups.Length;
        for (var si = 0; si < input.Count; si++)
        {
            if (!NextValue(input[si], ts, ref cursorsF[si], ref cursorsH[si], out var f, out var h))
            {
                continue;
            }

            if (h != null && op is "topk" or "bottomk")
            {
                continue;
            }

            var s = new Sample(input[si].Metric, f, h, input[si].DropName);
            var group = groups[seriesToGroup[si]];
            if (!group.Seen)
            {
                group.Seen = true;
                group.Heap = [];
                if (op != "limit_ratio" || AddRatioSample(ratio, s))
                {
                    group.Heap.Add(s);
                }

                if (op == "limitk" && group.Heap.Count == k)
                {
                    group.Complete = true;
                    remaining--;
                }

                continue;
            }

            switch (op)
            {
                case "topk":
                case "bottomk":
                    if (group.Heap!.Count < k)
                    {
                        group.Heap.Add(s);
                    }
                    else
                    {
                        // Replace the current worst element when the new one is better.
                        var worst = 0;
                        for (var i = 1; i < group.Heap.Count; i++)
                        {
                            if (Worse(op, group.Heap[i].F, group.Heap[worst].F))
                            {
                                worst = i;
                            }
                        }

                        var w = group.Heap[worst].F;
                        var better = op == "topk" ? w < f || (double.IsNaN(w) && !double.IsNaN(f)) : w > f || (double.IsNaN(w) && !double.IsNaN(f));
                        if (better)
                        {
                            group.Heap[worst] = s;
                        }
                    }

                    break;
                case "limitk":
                    if (group.Heap!.Count < k)
                    {
                        group.Heap.Add(s);
                    }

                    if (!group.Complete && group.Heap.Count == k)
                    {
                        group.Complete = true;
                        remaining--;
                    }

                    break;
                case "limit_ratio":
                    if (AddRatioSample(ratio, s))
                    {
                        group.Heap!.Add(s);
                    }

                    break;
                default:
                    break;
            }

            if (op == "limitk" && remaining == 0)
            {
                break;
            }
        }

        var output = new List<Sample>();
        foreach (var g in groups)
        {
            if (!g.Seen)
            {
                continue;
            }

            if (op == "topk")
            {
                g.Heap!.Sort((x, y) => CompareDesc(x.F, y.F));
            }
            else if (op == "bottomk")
            {
                g.Heap!.Sort((x, y) => CompareAsc(x.F, y.F));
            }

            output.AddRange(g.Heap!);
        }

        return output;
    }

    // NaN counts as the worst value for both topk and bottomk.
    private static bool Worse(string op, double a, double b)
    {
        if (double.IsNaN(a))
        {
            return !double.IsNaN(b);
        }

        if (double.IsNaN(b))
        {
            return false;
        }

        return op == "topk" ? a < b : a > b;
    }

    private static int CompareDesc(double a, double b) => CompareNaNLast(b, a, nanLast: -1);

    private static int CompareAsc(double a, double b) => CompareNaNLast(a, b, nanLast: 1);

    /// <summary>Orders by value with NaN after every number (sign of <paramref name="nanLast"/> says where NaN goes for swapped args).</summary>
    private static int CompareNaNLast(double a, double b, int nanLast)
    {
        if (double.IsNaN(a))
        {
            return double.IsNaN(b) ? 0 : nanLast;
        }

        if (double.IsNaN(b))
        {
            return -nanLast;
        }

        return a.CompareTo(b);
    }

    private static bool AddRatioSample(double ratio, Sample s)
    {
        var offset = Labels.PrometheusHash(s.Metric) / (double)ulong.MaxValue;
        return (ratio >= 0 && offset < ratio) || (ratio < 0 && offset >= 1.0 + ratio);
    }

    private static void CountValues(AggregateExpr a, string[] grouping, string valueLabel, List<Sample> vec, List<Sample> output)
    {
        var result = new Dictionary<ulong, (Label[] Labels, int Count)>();
        var order = new List<ulong>();
        foreach (var s in vec)
        {
            if (s.H != null)
            {
                continue;
            }

            var metric = Labels.Set(s.Metric, valueLabel, Common.GoFloat.FormatF(s.F));
            var key = GroupingKey(metric, grouping, a.Without);
            if (result.TryGetValue(key, out var g))
            {
                result[key] = (g.Labels, g.Count + 1);
            }
            else
            {
                result[key] = (GroupingLabels(metric, grouping, a.Without), 1);
                order.Add(key);
            }
        }

        foreach (var key in order)
        {
            var g = result[key];
            output.Add(new Sample(g.Labels, g.Count, null, false));
        }
    }

    internal static string GoFloatG(double f) => Common.GoFloat.FormatG(f);
}
