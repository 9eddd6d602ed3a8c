namespace TraceLink.Query.PromQL.Parser;

/// <summary>How the two sides of a vector binary operation are matched (<c>on</c>/<c>ignoring</c>/<c>group_*</c>).</summary>
public sealed class VectorMatching
{
    /// <summary>Match cardinality.</summary>
    public VectorMatchCardinality Card { get; internal set; }

    /// <summary>Labels of <c>on</c> or <c>ignoring</c>.</summary>
    public IReadOnlyList<string> MatchingLabels { get; internal set; } = [];

    /// <summary>True for <c>on</c>, false for <c>ignoring</c> (or no clause).</summary>
    public bool On { get; internal set; }

    /// <summary>Whether an <c>on</c>/<c>ignoring</c> clause was written.</summary>
    public bool Explicit { get; internal set; }

    /// <summary>Extra labels of <c>group_left</c>/<c>group_right</c>.</summary>
    public IReadOnlyList<string> Include { get; internal set; } = [];
}
