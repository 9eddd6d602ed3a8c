namespace TraceLink.Query.PromQL.Parser;

/// <summary>A unary <c>-</c> or <c>+</c> expression.</summary>
public sealed class UnaryExpr(TokenKind op, Expr operand) : Expr
{
    /// <summary><see cref="TokenKind.Sub"/> or <see cref="TokenKind.Add"/>.</summary>
    public TokenKind Op { get; } = op;

    /// <summary>The operand.</summary>
    public Expr Operand { get; } = operand;

    /// <inheritdoc />
    public override PromValueType Type => Operand.Type;
}
