namespace TraceLink.Query.PromQL.Parser;

/// <summary>A node of a parsed PromQL expression; <see cref="object.ToString"/> prints it in canonical form.</summary>
public abstract class Expr
{
    /// <summary>Start offset of the node in the query text.</summary>
    public int Start { get; internal set; }

    /// <summary>End offset (exclusive) of the node in the query text.</summary>
    public int End { get; internal set; }

    /// <summary>The value type the node evaluates to.</summary>
    public abstract PromValueType Type { get; }

    /// <inheritdoc />
    public override string ToString() => Printer.Print(this);
}
