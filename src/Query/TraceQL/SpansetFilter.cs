using TraceLink.Storage.Spans;

namespace TraceLink.Query.TraceQL;

/// <summary><c>{ expr }</c>: the spans for which <c>expr</c> is true; <c>{}</c> matches every span.</summary>
internal sealed class SpansetFilter(FieldExpression? expression) : SpansetExpression
{
    public FieldExpression? Expression { get; } = expression;

    /// <summary>True when the filter needs nothing but the span itself (no trace-level intrinsic).</summary>
    public bool IsSpanLocal { get; init; } = true;

    public bool Matches(StoredSpanView span)
    {
        if (Expression is null)
        {
            return true;
        }

        var result = Expression.Evaluate(span);
        return result.Type == StaticType.Bool && result.Bool;
    }

    public override bool Evaluate(TraceView trace, List<StoredSpan> matches)
    {
        var before = matches.Count;
        var spans = trace.Spans;
        for (var i = 0; i < spans.Count; i++)
        {
            if (Matches(new StoredSpanView(spans[i], trace)))
            {
                matches.Add(spans[i]);
            }
        }

        return matches.Count > before;
    }

    public override string ToString() => Expression is null ? "{ }" : "{ " + Expression + " }";
}
