namespace TraceLink.Query.PromQL.Parser;

/// <summary>A function call.</summary>
public sealed class Call(FunctionInfo function, IReadOnlyList<Expr> args) : Expr
{
    /// <summary>The called function.</summary>
    public FunctionInfo Function { get; } = function;

    /// <summary>Arguments.</summary>
    public IReadOnlyList<Expr> Args { get; } = args;

    /// <inheritdoc />
    public override PromValueType Type => Function.ReturnType;
}
