namespace TraceLink.Query.PromQL.Parser;

/// <summary>An aggregation such as <c>sum by (job) (x)</c> or <c>topk(3, x)</c>.</summary>
public sealed class AggregateExpr(string op, Expr inner, Expr? param) : Expr
{
    /// <summary>Aggregation operator name, lower case (<c>sum</c>, <c>topk</c>, ...).</summary>
    public string Op { get; } = op;

    /// <summary>The aggregated vector.</summary>
    public Expr Inner { get; } = inner;

    /// <summary>Parameter of <c>topk</c>, <c>bottomk</c>, <c>quantile</c>, <c>count_values</c>, <c>limitk</c>, <c>limit_ratio</c>.</summary>
    public Expr? Param { get; } = param;

    /// <summary><c>by</c>/<c>without</c> labels.</summary>
    public IReadOnlyList<string> Grouping { get; internal set; } = [];

    /// <summary>True for <c>without</c>.</summary>
    public bool Without { get; internal set; }

    /// <summary>Whether a <c>by</c>/<c>without</c> clause was written.</summary>
    public bool HasGrouping { get; internal set; }

    /// <inheritdoc />
    public override PromValueType Type => PromValueType.Vector;
}
