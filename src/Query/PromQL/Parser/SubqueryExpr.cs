namespace TraceLink.Query.PromQL.Parser;

/// <summary>A subquery such as <c>rate(x[5m])[1h:1m]</c>.</summary>
public sealed class SubqueryExpr(Expr inner, long rangeMs, long stepMs) : Expr
{
    /// <summary>The inner instant-vector expression.</summary>
    public Expr Inner { get; } = inner;

    /// <summary>Range in ms.</summary>
    public long RangeMs { get; } = rangeMs;

    /// <summary>Resolution in ms; 0 means the default evaluation interval.</summary>
    public long StepMs { get; } = stepMs;

    /// <summary>Offset in ms.</summary>
    public long OffsetMs { get; internal set; }

    /// <summary>Whether an <c>offset</c> was written.</summary>
    public bool HasOffset { get; internal set; }

    /// <summary>The <c>@</c> timestamp in ms, when given as a number.</summary>
    public long? Timestamp { get; internal set; }

    /// <summary><c>@ start()</c> / <c>@ end()</c>.</summary>
    public AtModifier At { get; internal set; }

    /// <inheritdoc />
    public override PromValueType Type => PromValueType.Matrix;
}
