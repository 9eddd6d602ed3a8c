namespace TraceLink.Query.PromQL.Parser;

/// <summary>A string literal.</summary>
public sealed class StringLiteral(string value) : Expr
{
    /// <summary>The unquoted value.</summary>
    public string Value { get; } = value;

    /// <inheritdoc />
    public override PromValueType Type => PromValueType.String;
}
