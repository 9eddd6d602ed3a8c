namespace TraceLink.Query.TraceQL;

/// <summary>A node inside a spanset filter <c>{ ... }</c>, evaluated per span.</summary>
internal abstract class FieldExpression
{
    public abstract Static Evaluate(StoredSpanView span);
}
