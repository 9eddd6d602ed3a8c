namespace TraceLink.Query.TraceQL;

/// <summary>A parsed TraceQL search: the spanset expression plus the fields named by <c>| select(...)</c>.</summary>
internal sealed class TraceQLQuery(SpansetExpression root, IReadOnlyList<FieldExpression> selected, IReadOnlyList<FieldExpression> referenced)
{
    public SpansetExpression Root { get; } = root;

    /// <summary>Fields listed in <c>select(...)</c>, reported as span attributes.</summary>
    public IReadOnlyList<FieldExpression> Selected { get; } = selected;

    /// <summary>Attributes and intrinsics the filters reference, reported as span attributes like Tempo does.</summary>
    public IReadOnlyList<FieldExpression> Referenced { get; } = referenced;

    /// <summary>True for <c>{}</c> / <c>{ true }</c>: every span matches.</summary>
    public bool MatchesEverything => Root is SpansetFilter { Expression: null or LiteralExpression { Value: { Type: StaticType.Bool, Long: 1 } } };

    public override string ToString() => Root.ToString()!;
}
