namespace TraceLink.Query.PromQL.Parser;

/// <summary>A number literal.</summary>
public sealed class NumberLiteral(double value) : Expr
{
    /// <summary>The value.</summary>
    public double Value { get; internal set; } = value;

    /// <inheritdoc />
    public override PromValueType Type => PromValueType.Scalar;
}
