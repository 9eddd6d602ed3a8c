using TraceLink.Query.PromQL.Parser;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

internal sealed partial class Evaluator
{
    private Value EvalBinary(BinaryExpr b)
    {
        var lhs = Eval(b.Lhs);
        var rhs = Eval(b.Rhs);
        if (lhs is ScalarValue ls && rhs is ScalarValue rs)
        {
            var r = new double[ls.Values.Length];
            for (var i = 0; i < r.Length; i++)
            {
                r[i] = ScalarBinop(b.Op, ls.Values[i], rs.Values[i]);
            }

            return new ScalarValue(r);
        }

        if (lhs is MatrixValue && rhs is MatrixValue)
        {
            var matching = b.Matching!;
            var sigL = new SignatureCache(matching);
            var sigR = new SignatureCache(matching);
            return b.Op switch
            {
                TokenKind.And => RangeEval([lhs, rhs], (v, _, _, o) => And(v[0], v[1], sigL, sigR, o)),
                TokenKind.Or => RangeEval([lhs, rhs], (v, _, _, o) => Or(v[0], v[1], sigL, sigR, o)),
                TokenKind.Unless => RangeEval([lhs, rhs], (v, _, _, o) => Unless(v[0], v[1], sigL, sigR, o)),
                _ => RangeEval([lhs, rhs], (v, _, _, o) => VectorBinop(b.Op, v[0], v[1], matching, b.ReturnBool, sigL, sigR, o)),
            };
        }

        if (lhs is MatrixValue)
        {
            return RangeEval([lhs, rhs], (v, s, _, o) => VectorScalarBinop(b.Op, v[0], s[1], false, b.ReturnBool, o));
        }

        return RangeEval([lhs, rhs], (v, s, _, o) => VectorScalarBinop(b.Op, v[1], s[0], true, b.ReturnBool, o));
    }

    private static double Btos(bool b) => b ? 1 : 0;

    internal static double ScalarBinop(TokenKind op, double l, double r) => op switch
    {
        TokenKind.Add => l + r,
        TokenKind.Sub => l - r,
        TokenKind.Mul => l * r,
        TokenKind.Div => l / r,
        TokenKind.Pow => Math.Pow(l, r),
        TokenKind.Mod => GoMod(l, r),
        TokenKind.Eql => Btos(l == r),
        TokenKind.Neq => Btos(l != r),
        TokenKind.Gtr => Btos(l > r),
        TokenKind.Lss => Btos(l < r),
        TokenKind.Gte => Btos(l >= r),
        TokenKind.Lte => Btos(l <= r),
        TokenKind.Atan2 => Math.Atan2(l, r),
        _ => throw Error("operator not allowed for scalar operations"),
    };

    /// <summary>Go's math.Mod (result has the sign of x), which .NET's % also follows.</summary>
    private static double GoMod(double x, double y) => x % y;

    private static bool ShouldDropMetricName(TokenKind op) => op is TokenKind.Add or TokenKind.Sub or TokenKind.Mul or TokenKind.Div or TokenKind.Mod or TokenKind.Pow or TokenKind.Atan2;

    /// <summary>vectorElemBinop: returns false in <paramref name="keep"/> to drop the element.</summary>
    private (double F, FloatHistogram? H, bool Keep) ElemBinop(TokenKind op, double lf, double rf, FloatHistogram? lh, FloatHistogram? rh)
    {
        switch (op)
        {
            case TokenKind.Add or TokenKind.Sub:
                if (lh != null && rh != null)
                {
                    var res = HistogramMath.AddInPlace(HistogramMath.Copy(lh), rh, op == TokenKind.Add ? 1 : -1, out var err);
                    if (res == null)
                    {
                        WarnHistogramError(err);
                        return (0, null, false);
                    }

                    return (0, res, true);
                }

                if (lh != null || rh != null)
                {
                    return (0, null, false);
                }

                return (op == TokenKind.Add ? lf + rf : lf - rf, null, true);
            case TokenKind.Mul:
                if (lh != null && rh == null)
                {
                    return (0, HistogramMath.Mul(HistogramMath.Copy(lh), rf), true);
                }

                if (lh == null && rh != null)
                {
                    return (0, HistogramMath.Mul(HistogramMath.Copy(rh), lf), true);
                }

                if (lh != null)
                {
                    return (0, null, false);
                }

                return (lf * rf, null, true);
            case TokenKind.Div:
                if (lh != null && rh == null)
                {
                    return (0, HistogramMath.Div(HistogramMath.Copy(lh), rf), true);
                }

                if (lh != null || rh != null)
                {
                    return (0, null, false);
                }

                return (lf / rf, null, true);
            default:
                if (lh != null || rh != null)
                {
                    if (op is TokenKind.Eql or TokenKind.Neq && lh != null && rh != null)
                    {
                        var eq = HistEquals(lh, rh);
                        return (0, lh, op == TokenKind.Eql ? eq : !eq);
                    }

                    return (0, null, false);
                }

                return op switch
                {
                    TokenKind.Pow => (Math.Pow(lf, rf), null, true),
                    TokenKind.Mod => (lf % rf, null, true),
                    TokenKind.Atan2 => (Math.Atan2(lf, rf), null, true),
                    TokenKind.Eql => (lf, null, lf == rf),
                    TokenKind.Neq => (lf, null, lf != rf),
                    TokenKind.Gtr => (lf, null, lf > rf),
                    TokenKind.Lss => (lf, null, lf < rf),
                    TokenKind.Gte => (lf, null, lf >= rf),
                    TokenKind.Lte => (lf, null, lf <= rf),
                    _ => throw Error("operator not allowed for operations between vectors"),
                };
        }
    }

    private static bool HistEquals(FloatHistogram a, FloatHistogram b)
    {
        var ca = HistogramMath.Compact(HistogramMath.Copy(a));
        var cb = HistogramMath.Compact(HistogramMath.Copy(b));
        return ca.Schema == cb.Schema && ca.Count.Equals(cb.Count) && ca.Sum.Equals(cb.Sum) && ca.ZeroCount.Equals(cb.ZeroCount)
               && ca.ZeroThreshold.Equals(cb.ZeroThreshold) && ca.PositiveSpans.AsSpan().SequenceEqual(cb.PositiveSpans)
               && ca.NegativeSpans.AsSpan().SequenceEqual(cb.NegativeSpans) && ca.PositiveBuckets.AsSpan().SequenceEqual(cb.PositiveBuckets)
               && ca.NegativeBuckets.AsSpan().SequenceEqual(cb.NegativeBuckets);
    }

    internal void WarnHistogramError(string? err)
    {
        if (err == "incompatible bounds")
        {
            Warn("PromQL warning: vector contains histograms with incompatible custom buckets");
        }
        else
        {
            Warn("PromQL warning: vector contains a mix of histograms with exponential and custom buckets schemas");
        }
    }

    private void VectorScalarBinop(TokenKind op, List<Sample> vec, double scalar, bool swap, bool returnBool, List<Sample> output)
    {
        var comparison = PromQLParser.IsComparison(op);
        foreach (var s in vec)
        {
            double lf = s.F, rf = scalar;
            FloatHistogram? lh = s.H, rh = null;
            if (swap)
            {
                (lf, rf) = (rf, lf);
                (lh, rh) = (rh, lh);
            }

            var (f, h, keep) = ElemBinop(op, lf, rf, lh, rh);
            if (comparison && swap)
            {
                f = rf;
                h = rh;
            }

            if (returnBool)
            {
                if (s.H != null)
                {
                    continue;
                }

                f = keep ? 1 : 0;
                h = null;
                keep = true;
            }

            if (!keep)
            {
                continue;
            }

            output.Add(new Sample(s.Metric, f, h, s.DropName || ShouldDropMetricName(op) || returnBool));
        }
    }

    /// <summary>Caches match signatures per label array (the same arrays recur at every step).</summary>
    private sealed class SignatureCache(VectorMatching matching)
    {
        private readonly Dictionary<Label[], ulong> _cache = new(ReferenceEqualityComparer.Instance);
        private readonly string[] _names = Sorted(matching.MatchingLabels);
        private readonly bool _on = matching.On;

        /// <summary>Per-step scratch state reused across steps so matching allocates nothing per step.</summary>
        public HashSet<ulong> Set { get; } = [];

        public Dictionary<ulong, Sample> RightSigs { get; } = [];

        public Dictionary<ulong, HashSet<ulong>?> Matched { get; } = [];

        private static string[] Sorted(IReadOnlyList<string> l)
        {
            var a = l.ToArray();
            Array.Sort(a, StringComparer.Ordinal);
            return a;
        }

        public ulong Get(Label[] ls)
        {
            if (!_cache.TryGetValue(ls, out var sig))
            {
                sig = _on ? Labels.HashFor(ls, _names) : Labels.HashWithout(ls, _names, true);
                _cache[ls] = sig;
            }

            return sig;
        }
    }

    private static void And(List<Sample> lhs, List<Sample> rhs, SignatureCache sl, SignatureCache sr, List<Sample> output)
    {
        if (lhs.Count == 0 || rhs.Count == 0)
        {
            return;
        }

        var right = sl.Set;
        right.Clear();
        foreach (var s in rhs)
        {
            right.Add(sr.Get(s.Metric));
        }

        foreach (var s in lhs)
        {
            if (right.Contains(sl.Get(s.Metric)))
            {
                output.Add(s);
            }
        }
    }

    private static void Or(List<Sample> lhs, List<Sample> rhs, SignatureCache sl, SignatureCache sr, List<Sample> output)
    {
        var left = sl.Set;
        left.Clear();
        foreach (var s in lhs)
        {
            left.Add(sl.Get(s.Metric));
            output.Add(s);
        }

        foreach (var s in rhs)
        {
            if (!left.Contains(sr.Get(s.Metric)))
            {
                output.Add(s);
            }
        }
    }

    private static void Unless(List<Sample> lhs, List<Sample> rhs, SignatureCache sl, SignatureCache sr, List<Sample> output)
    {
        var right = sl.Set;
        right.Clear();
        foreach (var s in rhs)
        {
            right.Add(sr.Get(s.Metric));
        }

        foreach (var s in lhs)
        {
            if (!right.Contains(sl.Get(s.Metric)))
            {
                output.Add(s);
            }
        }
    }

    private readonly Dictionary<(Label[], Label[]), Label[]> _resultMetricCache = new(new PairRefComparer());

    private sealed class PairRefComparer : IEqualityComparer<(Label[], Label[])>
    {
        public bool Equals((Label[], Label[]) x, (Label[], Label[]) y) => ReferenceEquals(x.Item1, y.Item1) && ReferenceEquals(x.Item2, y.Item2);

        public int GetHashCode((Label[], Label[]) obj) => HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item1), System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item2));
    }

    private Label[] ResultMetric(Label[] lhs, Label[] rhs, TokenKind op, VectorMatching matching)
    {
        if (_resultMetricCache.TryGetValue((lhs, rhs), out var cached))
        {
            return cached;
        }

        var r = lhs;
        if (ShouldDropMetricName(op))
        {
            r = Labels.DropMetricName(r);
        }

        if (matching.Card == VectorMatchCardinality.OneToOne)
        {
            var names = matching.MatchingLabels.ToArray();
            Array.Sort(names, StringComparer.Ordinal);
            r = matching.On ? Labels.Keep(r, names) : Labels.Without(r, names, false);
        }

        foreach (var ln in matching.Include)
        {
            r = Labels.Set(r, ln, Labels.Get(rhs, ln));
        }

        _resultMetricCache[(lhs, rhs)] = r;
        return r;
    }

    private void VectorBinop(TokenKind op, List<Sample> lhs, List<Sample> rhs, VectorMatching matching, bool returnBool, SignatureCache sl, SignatureCache sr, List<Sample> output)
    {
        if (lhs.Count == 0 || rhs.Count == 0)
        {
            return;
        }

        if (matching.Card == VectorMatchCardinality.OneToMany)
        {
            (lhs, rhs) = (rhs, lhs);
            (sl, sr) = (sr, sl);
        }

        var rightSigs = sl.RightSigs;
        rightSigs.Clear();
        foreach (var rs in rhs)
        {
            var sig = sr.Get(rs.Metric);
            if (rightSigs.TryGetValue(sig, out var dup))
            {
                var oneSide = matching.Card == VectorMatchCardinality.OneToMany ? "left" : "right";
                throw Error($"found duplicate series for the match group on the {oneSide} hand-side of the operation: [{Labels.ToString(rs.Metric)}, {Labels.ToString(dup.Metric)}];many-to-many matching not allowed: matching labels must be unique on one side");
            }

            rightSigs[sig] = rs;
        }

        var matched = sl.Matched;
        matched.Clear();
        foreach (var ls in lhs)
        {
            var sig = sl.Get(ls.Metric);
            if (!rightSigs.TryGetValue(sig, out var rs))
            {
                continue;
            }

            double fl = ls.F, fr = rs.F;
            FloatHistogram? hl = ls.H, hr = rs.H;
            if (matching.Card == VectorMatchCardinality.OneToMany)
            {
                (fl, fr) = (fr, fl);
                (hl, hr) = (hr, hl);
            }

            var (f, h, keep) = ElemBinop(op, fl, fr, hl, hr);
            if (returnBool)
            {
                if (hl != null || hr != null)
                {
                    continue;
                }

                f = keep ? 1 : 0;
                h = null;
            }
            else if (!keep)
            {
                continue;
            }

            var metric = ResultMetric(ls.Metric, rs.Metric, op, matching);
            var exists = matched.TryGetValue(sig, out var inserted);
            if (matching.Card == VectorMatchCardinality.OneToOne)
            {
                if (exists)
                {
                    throw Error("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)");
                }

                matched[sig] = null;
            }
            else
            {
                var insertSig = Labels.Hash(metric);
                if (!exists)
                {
                    inserted = [];
                    matched[sig] = inserted;
                }
                else if (inserted!.Contains(insertSig))
                {
                    throw Error("multiple matches for labels: grouping labels must ensure unique matches");
                }

                inserted!.Add(insertSig);
            }

            output.Add(new Sample(metric, f, h, returnBool));
        }
    }
}
