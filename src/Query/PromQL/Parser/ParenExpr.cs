namespace TraceLink.Query.PromQL.Parser;

/// <summary>A parenthesised expression.</summary>
public sealed class ParenExpr(Expr inner) : Expr
{
    /// <summary>The inner expression.</summary>
    public Expr Inner { get; } = inner;

    /// <inheritdoc />
    public override PromValueType Type => Inner.Type;
}
