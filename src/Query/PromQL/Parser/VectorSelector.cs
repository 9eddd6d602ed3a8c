using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Parser;

/// <summary>An instant vector selector such as <c>foo{a="b"} offset 5m @ 100</c>.</summary>
public sealed class VectorSelector(string? name, IReadOnlyList<LabelMatcher> matchers) : Expr
{
    /// <summary>The metric name written before the braces, if any.</summary>
    public string? Name { get; } = name;

    /// <summary>All matchers, including the <c>__name__</c> matcher of <see cref="Name"/>.</summary>
    public IReadOnlyList<LabelMatcher> Matchers { get; } = matchers;

    /// <summary>Offset in milliseconds (negative allowed).</summary>
    public long OffsetMs { get; internal set; }

    /// <summary>Whether an <c>offset</c> was written.</summary>
    public bool HasOffset { get; internal set; }

    /// <summary>The <c>@</c> timestamp in ms, when given as a number.</summary>
    public long? Timestamp { get; internal set; }

    /// <summary><c>@ start()</c> / <c>@ end()</c>.</summary>
    public AtModifier At { get; internal set; }

    /// <inheritdoc />
    public override PromValueType Type => PromValueType.Vector;
}
