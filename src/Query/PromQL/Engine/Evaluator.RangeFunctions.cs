using TraceLink.Query.PromQL.Parser;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

internal sealed partial class Evaluator
{
    private MatrixValue EvalRangeFunction(Call c, int matrixIndex)
    {
        var name = c.Function.Name;
        var scalars = new ScalarValue?[c.Args.Count];
        for (var i = 0; i < c.Args.Count; i++)
        {
            if (i != matrixIndex)
            {
                scalars[i] = Eval(c.Args[i]) as ScalarValue;
            }
        }

        var arg = Unwrap(c.Args[matrixIndex]);
        var src = arg is SubqueryExpr sq ? MatrixSource.FromSubquery(this, sq) : MatrixSource.FromSelector(this, (MatrixSelector)arg);
        var dropName = name != "last_over_time";
        var steps = Steps;
        var result = new List<EvalSeries>();
        var quantileBuf = new List<double>();
        for (var s = 0; s < src.Count; s++)
        {
            EvalSeries? es = null;
            var metric = src.Metric(s);
            for (var i = 0; i < steps; i++)
            {
                CheckDeadline();
                var ts = Start + (i * Interval);
                var refT = src.RefTime(ts);
                var w = src.Window(s, refT);
                if (w.Floats.Length == 0 && w.Histograms.Length == 0)
                {
                    continue;
                }

                AddSamples(w.Floats.Length + w.Histograms.Length);
                CurrentSamples -= w.Floats.Length + w.Histograms.Length;
                double a1 = 0, a2 = 0;
                if (matrixIndex == 0)
                {
                    a1 = scalars.Length > 1 ? scalars[1]!.Values[i] : 0;
                    a2 = scalars.Length > 2 ? scalars[2]!.Values[i] : 0;
                }
                else
                {
                    a1 = scalars[0]!.Values[i];
                }

                if (!RangeFunction(name, metric, w, ts, refT, src.RangeMs, a1, a2, quantileBuf, out var f, out var h))
                {
                    continue;
                }

                es ??= new EvalSeries(metric) { DropName = dropName || src.DropName(s) };
                es.Add(ts, f, h);
                AddSamples(1);
            }

            if (es != null)
            {
                result.Add(es);
            }
        }

        src.Release();
        return new MatrixValue(result);
    }

    private bool RangeFunction(string name, Label[] metric, Window w, long ts, long refT, long rangeMs, double a1, double a2, List<double> buf, out double f, out FloatHistogram? h)
    {
        f = 0;
        h = null;
        var fl = w.Floats;
        var hs = w.Histograms;
        switch (name)
        {
            case "rate":
                return ExtrapolatedRate(metric, w, refT, rangeMs, true, true, out f, out h);
            case "increase":
                return ExtrapolatedRate(metric, w, refT, rangeMs, true, false, out f, out h);
            case "delta":
                return ExtrapolatedRate(metric, w, refT, rangeMs, false, false, out f, out h);
            case "irate" or "idelta":
                {
                    if (fl.Length < 2)
                    {
                        return false;
                    }

                    var last = fl[^1];
                    var prev = fl[^2];
                    var isRate = name == "irate";
                    f = isRate && last.F < prev.F ? last.F : last.F - prev.F;
                    var interval = last.T - prev.T;
                    if (interval == 0)
                    {
                        return false;
                    }

                    if (isRate)
                    {
                        f /= interval / 1000.0;
                    }

                    return true;
                }

            case "count_over_time":
                f = fl.Length + hs.Length;
                return true;
            case "present_over_time":
                f = 1;
                return true;
            case "last_over_time":
                if (hs.Length == 0 || (fl.Length > 0 && hs[^1].T < fl[^1].T))
                {
                    f = fl[^1].F;
                }
                else
                {
                    h = hs[^1].H;
                }

                return true;
            case "sum_over_time" or "avg_over_time":
                if (fl.Length > 0 && hs.Length > 0)
                {
                    Warn($"PromQL warning: encountered a mix of histograms and floats for metric name \"{Labels.Get(metric, Labels.MetricName)}\"");
                    return false;
                }

                if (fl.Length == 0)
                {
                    var acc = HistogramMath.Copy(hs[0].H);
                    for (var i = 1; i < hs.Length; i++)
                    {
                        FloatHistogram? r;
                        string? err;
                        if (name == "sum_over_time")
                        {
                            r = HistogramMath.AddInPlace(acc, hs[i].H, 1, out err);
                        }
                        else
                        {
                            var left = HistogramMath.Div(HistogramMath.Copy(hs[i].H), i + 1);
                            var right = HistogramMath.Div(HistogramMath.Copy(acc), i + 1);
                            var toAdd = HistogramMath.AddInPlace(left, right, -1, out err);
                            r = toAdd == null ? null : HistogramMath.AddInPlace(acc, toAdd, 1, out err);
                        }

                        if (r == null)
                        {
                            WarnHistogramError(err);
                            return false;
                        }
                    }

                    h = HistogramMath.Compact(acc);
                    return true;
                }

                f = name == "sum_over_time" ? SumOverTime(fl) : AvgOverTime(fl);
                return true;
            case "min_over_time" or "max_over_time":
                {
                    if (fl.Length == 0)
                    {
                        return false;
                    }

                    var v = fl[0].F;
                    foreach (var p in fl)
                    {
                        if (name == "max_over_time" ? p.F > v || double.IsNaN(v) : p.F < v || double.IsNaN(v))
                        {
                            v = p.F;
                        }
                    }

                    f = v;
                    return true;
                }

            case "stddev_over_time" or "stdvar_over_time":
                {
                    if (fl.Length == 0)
                    {
                        return false;
                    }

                    double count = 0, mean = 0, cMean = 0, aux = 0, cAux = 0;
                    foreach (var p in fl)
                    {
                        count++;
                        var delta = p.F - (mean + cMean);
                        (mean, cMean) = KahanSumInc(delta / count, mean, cMean);
                        (aux, cAux) = KahanSumInc(delta * (p.F - (mean + cMean)), aux, cAux);
                    }

                    f = (aux + cAux) / count;
                    if (name == "stddev_over_time")
                    {
                        f = Math.Sqrt(f);
                    }

                    return true;
                }

            case "quantile_over_time":
                if (fl.Length == 0)
                {
                    return false;
                }

                if (double.IsNaN(a1) || a1 < 0 || a1 > 1)
                {
                    Warn("PromQL warning: quantile value should be between 0 and 1, got " + GoFloatG(a1));
                }

                buf.Clear();
                foreach (var p in fl)
                {
                    buf.Add(p.F);
                }

                f = Quantile(a1, buf);
                return true;
            case "mad_over_time":
                {
                    if (fl.Length == 0)
                    {
                        return false;
                    }

                    buf.Clear();
                    foreach (var p in fl)
                    {
                        buf.Add(p.F);
                    }

                    var median = Quantile(0.5, buf);
                    buf.Clear();
                    foreach (var p in fl)
                    {
                        buf.Add(Math.Abs(p.F - median));
                    }

                    f = Quantile(0.5, buf);
                    return true;
                }

            case "changes":
                {
                    if (fl.Length == 0)
                    {
                        return false;
                    }

                    var changes = 0;
                    var prev = fl[0].F;
                    for (var i = 1; i < fl.Length; i++)
                    {
                        var cur = fl[i].F;
                        if (cur != prev && !(double.IsNaN(cur) && double.IsNaN(prev)))
                        {
                            changes++;
                        }

                        prev = cur;
                    }

                    f = changes;
                    return true;
                }

            case "resets":
                {
                    var resets = 0;
                    for (var i = 1; i < fl.Length; i++)
                    {
                        if (fl[i].F < fl[i - 1].F)
                        {
                            resets++;
                        }
                    }

                    for (var i = 1; i < hs.Length; i++)
                    {
                        if (HistogramMath.DetectReset(hs[i].H, hs[i - 1].H))
                        {
                            resets++;
                        }
                    }

                    f = resets;
                    return true;
                }

            case "deriv":
                if (fl.Length < 2)
                {
                    return false;
                }

                (f, _) = LinearRegression(fl, fl[0].T);
                return true;
            case "predict_linear":
                {
                    if (fl.Length < 2)
                    {
                        return false;
                    }

                    var (slope, intercept) = LinearRegression(fl, ts);
                    f = (slope * a1) + intercept;
                    return true;
                }

            case "holt_winters":
                {
                    var sf = a1;
                    var tf = a2;
                    if (sf <= 0 || sf >= 1)
                    {
                        throw Error($"invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:F6}");
                    }

                    if (tf <= 0 || tf >= 1)
                    {
                        throw Error($"invalid trend factor. Expected: 0 < tf < 1, got: {tf:F6}");
                    }

                    if (fl.Length < 2)
                    {
                        return false;
                    }

                    double s0 = 0, s1 = fl[0].F, b = fl[1].F - fl[0].F;
                    for (var i = 1; i < fl.Length; i++)
                    {
                        var x = sf * fl[i].F;
                        b = i - 1 == 0 ? b : (tf * (s1 - s0)) + ((1 - tf) * b);
                        var y = (1 - sf) * (s1 + b);
                        s0 = s1;
                        s1 = x + y;
                    }

                    f = s1;
                    return true;
                }

            default:
                throw Error("function not implemented over a range: " + name);
        }
    }

    private static double SumOverTime(ReadOnlySpan<FloatPoint> fl)
    {
        double sum = 0, c = 0;
        foreach (var p in fl)
        {
            (sum, c) = KahanSumInc(p.F, sum, c);
        }

        return double.IsInfinity(sum) ? sum : sum + c;
    }

    private static double AvgOverTime(ReadOnlySpan<FloatPoint> fl)
    {
        double sum = 0, mean = 0, count = 0, kahanC = 0;
        var incremental = false;
        foreach (var p in fl)
        {
            count++;
            if (!incremental)
            {
                var (newSum, newC) = KahanSumInc(p.F, sum, kahanC);
                if (count == 1 || !double.IsInfinity(newSum))
                {
                    sum = newSum;
                    kahanC = newC;
                    continue;
                }

                incremental = true;
                mean = sum / (count - 1);
                kahanC /= count - 1;
            }

            if (double.IsInfinity(mean))
            {
                if (double.IsInfinity(p.F) && (mean > 0) == (p.F > 0))
                {
                    continue;
                }

                if (!double.IsInfinity(p.F) && !double.IsNaN(p.F))
                {
                    continue;
                }
            }

            var corrected = mean + kahanC;
            (mean, kahanC) = KahanSumInc((p.F / count) - (corrected / count), mean, kahanC);
        }

        return incremental ? mean + kahanC : (sum + kahanC) / count;
    }

    private static (double Slope, double Intercept) LinearRegression(ReadOnlySpan<FloatPoint> samples, long interceptTime)
    {
        double n = 0, sumX = 0, cX = 0, sumY = 0, cY = 0, sumXY = 0, cXY = 0, sumX2 = 0, cX2 = 0;
        var initY = samples[0].F;
        var constY = true;
        for (var i = 0; i < samples.Length; i++)
        {
            var s = samples[i];
            if (constY && i > 0 && s.F != initY)
            {
                constY = false;
            }

            n += 1;
            var x = (s.T - interceptTime) / 1e3;
            (sumX, cX) = KahanSumInc(x, sumX, cX);
            (sumY, cY) = KahanSumInc(s.F, sumY, cY);
            (sumXY, cXY) = KahanSumInc(x * s.F, sumXY, cXY);
            (sumX2, cX2) = KahanSumInc(x * x, sumX2, cX2);
        }

        if (constY)
        {
            return double.IsInfinity(initY) ? (double.NaN, double.NaN) : (0, initY);
        }

        sumX += cX;
        sumY += cY;
        sumXY += cXY;
        sumX2 += cX2;
        var covXY = sumXY - (sumX * sumY / n);
        var varX = sumX2 - (sumX * sumX / n);
        var slope = covXY / varX;
        var intercept = (sumY / n) - (slope * sumX / n);
        return (slope, intercept);
    }

    private bool ExtrapolatedRate(Label[] metric, Window w, long rangeEnd, long rangeMs, bool isCounter, bool isRate, out double resultFloat, out FloatHistogram? resultHistogram)
    {
        var fl = w.Floats;
        var hs = w.Histograms;
        resultFloat = 0;
        resultHistogram = null;
        var rangeStart = rangeEnd - rangeMs;
        var metricName = Labels.Get(metric, Labels.MetricName);
        if (hs.Length > 0 && fl.Length > 0)
        {
            Warn($"PromQL warning: encountered a mix of histograms and floats for metric name \"{metricName}\"");
            return false;
        }

        long firstT, lastT;
        int numSamplesMinusOne;
        if (hs.Length > 1)
        {
            numSamplesMinusOne = hs.Length - 1;
            firstT = hs[0].T;
            lastT = hs[numSamplesMinusOne].T;
            resultHistogram = HistogramRate(hs, isCounter, metricName);
            if (resultHistogram == null)
            {
                return false;
            }
        }
        else if (fl.Length > 1)
        {
            numSamplesMinusOne = fl.Length - 1;
            firstT = fl[0].T;
            lastT = fl[numSamplesMinusOne].T;
            resultFloat = fl[numSamplesMinusOne].F - fl[0].F;
            if (isCounter)
            {
                var prev = fl[0].F;
                for (var i = 1; i < fl.Length; i++)
                {
                    if (fl[i].F < prev)
                    {
                        resultFloat += prev;
                    }

                    prev = fl[i].F;
                }
            }
        }
        else
        {
            return false;
        }

        var durationToStart = (firstT - rangeStart) / 1000.0;
        var durationToEnd = (rangeEnd - lastT) / 1000.0;
        var sampledInterval = (lastT - firstT) / 1000.0;
        var averageDurationBetweenSamples = sampledInterval / numSamplesMinusOne;
        var extrapolationThreshold = averageDurationBetweenSamples * 1.1;
        var extrapolateToInterval = sampledInterval;
        if (durationToStart >= extrapolationThreshold)
        {
            durationToStart = averageDurationBetweenSamples / 2;
        }

        if (isCounter && resultFloat > 0 && fl.Length > 0 && fl[0].F >= 0)
        {
            var durationToZero = sampledInterval * (fl[0].F / resultFloat);
            if (durationToZero < durationToStart)
            {
                durationToStart = durationToZero;
            }
        }

        extrapolateToInterval += durationToStart;
        if (durationToEnd >= extrapolationThreshold)
        {
            durationToEnd = averageDurationBetweenSamples / 2;
        }

        extrapolateToInterval += durationToEnd;
        var factor = extrapolateToInterval / sampledInterval;
        if (isRate)
        {
            factor /= rangeMs / 1000.0;
        }

        if (resultHistogram == null)
        {
            resultFloat *= factor;
        }
        else
        {
            HistogramMath.Mul(resultHistogram, factor);
        }

        return true;
    }

    private FloatHistogram? HistogramRate(ReadOnlySpan<HistogramPoint> points, bool isCounter, string metricName)
    {
        var prev = points[0].H;
        var usingCustom = HistogramMath.UsesCustomBuckets(prev);
        var last = points[^1].H;
        var minSchema = Math.Min(prev.Schema, last.Schema);
        if (HistogramMath.UsesCustomBuckets(last) != usingCustom)
        {
            Warn($"PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"{metricName}\"");
            return null;
        }

        if (isCounter && (prev.CounterResetHint == CounterResetHint.Gauge || last.CounterResetHint == CounterResetHint.Gauge))
        {
            Warn($"PromQL warning: this native histogram metric is not a counter: \"{metricName}\"");
        }

        for (var i = 1; i < points.Length - 1; i++)
        {
            var curr = points[i].H;
            if (!isCounter)
            {
                continue;
            }

            if (curr.CounterResetHint == CounterResetHint.Gauge)
            {
                Warn($"PromQL warning: this native histogram metric is not a counter: \"{metricName}\"");
            }

            if (curr.Schema < minSchema)
            {
                minSchema = curr.Schema;
            }

            if (HistogramMath.UsesCustomBuckets(curr) != usingCustom)
            {
                Warn($"PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"{metricName}\"");
                return null;
            }
        }

        var h = usingCustom ? HistogramMath.Copy(last) : HistogramMath.CopyToSchema(last, minSchema);
        if (HistogramMath.AddInPlace(h, prev, -1, out var err) == null)
        {
            WarnHistogramError(err);
            return null;
        }

        if (isCounter)
        {
            for (var i = 1; i < points.Length; i++)
            {
                var curr = points[i].H;
                if (HistogramMath.DetectReset(curr, prev) && HistogramMath.AddInPlace(h, prev, 1, out err) == null)
                {
                    WarnHistogramError(err);
                    return null;
                }

                prev = curr;
            }
        }
        else if (points[0].H.CounterResetHint != CounterResetHint.Gauge || points[^1].H.CounterResetHint != CounterResetHint.Gauge)
        {
            Info($"PromQL info: this native histogram metric is not a gauge: \"{metricName}\"");
        }

        h.CounterResetHint = CounterResetHint.Gauge;
        return HistogramMath.Compact(h);
    }
}
