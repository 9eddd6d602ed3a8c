namespace TraceLink.Query.PromQL.Parser;

/// <summary>Cardinality of a binary vector match.</summary>
public enum VectorMatchCardinality
{
    /// <summary>One-to-one.</summary>
    OneToOne,
    /// <summary><c>group_left</c>.</summary>
    ManyToOne,
    /// <summary><c>group_right</c>.</summary>
    OneToMany,
    /// <summary>Set operators.</summary>
    ManyToMany,
}
