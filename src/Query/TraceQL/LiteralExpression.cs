namespace TraceLink.Query.TraceQL;

internal sealed class LiteralExpression(Static value) : FieldExpression
{
    public Static Value { get; } = value;

    public override Static Evaluate(StoredSpanView span) => Value;

    public override string ToString() => Value.Type == StaticType.String ? "\"" + Value.String + "\"" : Value.ToString();
}
