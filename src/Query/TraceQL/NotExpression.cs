namespace TraceLink.Query.TraceQL;

/// <summary><c>!expr</c>: true when the operand is boolean false.</summary>
internal sealed class NotExpression(FieldExpression operand) : FieldExpression
{
    public FieldExpression Operand { get; } = operand;

    public override Static Evaluate(StoredSpanView span)
    {
        var value = Operand.Evaluate(span);
        return value.Type == StaticType.Bool ? Static.FromBool(!value.Bool) : Static.Nil;
    }

    public override string ToString() => "!(" + Operand + ")";
}
