namespace TraceLink.Query.PromQL.Parser;

/// <summary>A range vector selector such as <c>foo[5m]</c>.</summary>
public sealed class MatrixSelector(VectorSelector selector, long rangeMs) : Expr
{
    /// <summary>The underlying selector (it carries offset and <c>@</c>).</summary>
    public VectorSelector Selector { get; } = selector;

    /// <summary>The range in milliseconds.</summary>
    public long RangeMs { get; } = rangeMs;

    /// <inheritdoc />
    public override PromValueType Type => PromValueType.Matrix;
}
