using TraceLink.Storage.Spans;

namespace TraceLink.Query.TraceQL;

/// <summary>
/// <c>{a} &amp;&amp; {b}</c> (the trace has spans matching both; result is their union) and <c>{a} || {b}</c>.
/// </summary>
internal sealed class SpansetOperation(Operator op, SpansetExpression left, SpansetExpression right) : SpansetExpression
{
    public Operator Op { get; } = op;

    public SpansetExpression Left { get; } = left;

    public SpansetExpression Right { get; } = right;

    public override bool Evaluate(TraceView trace, List<StoredSpan> matches)
    {
        var before = matches.Count;
        var leftMatched = Left.Evaluate(trace, matches);
        if (Op == Operator.And && !leftMatched)
        {
            return false;
        }

        var middle = matches.Count;
        var rightMatched = Right.Evaluate(trace, matches);
        if (Op == Operator.And && !rightMatched)
        {
            matches.RemoveRange(before, matches.Count - before);
            return false;
        }

        // Drop spans the right side found again so each span is reported once.
        if (matches.Count > middle && middle > before)
        {
            var seen = new HashSet<StoredSpan>(ReferenceEqualityComparer.Instance);
            for (var j = before; j < middle; j++)
            {
                seen.Add(matches[j]);
            }

            var write = middle;
            for (var i = middle; i < matches.Count; i++)
            {
                if (seen.Add(matches[i]))
                {
                    matches[write++] = matches[i];
                }
            }

            matches.RemoveRange(write, matches.Count - write);
        }

        return leftMatched || rightMatched;
    }

    public override string ToString() => "(" + Left + (Op == Operator.And ? " && " : " || ") + Right + ")";
}
