namespace TraceLink.Query.PromQL.Parser;

/// <summary>A binary operation.</summary>
public sealed class BinaryExpr(TokenKind op, Expr lhs, Expr rhs) : Expr
{
    /// <summary>The operator.</summary>
    public TokenKind Op { get; } = op;

    /// <summary>Left operand.</summary>
    public Expr Lhs { get; } = lhs;

    /// <summary>Right operand.</summary>
    public Expr Rhs { get; } = rhs;

    /// <summary>Vector matching, when both sides are vectors.</summary>
    public VectorMatching? Matching { get; internal set; }

    /// <summary>Whether <c>bool</c> was given.</summary>
    public bool ReturnBool { get; internal set; }

    /// <inheritdoc />
    public override PromValueType Type =>
        Lhs.Type == PromValueType.Scalar && Rhs.Type == PromValueType.Scalar ? PromValueType.Scalar : PromValueType.Vector;
}
