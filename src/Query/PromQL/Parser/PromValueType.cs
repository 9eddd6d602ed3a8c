namespace TraceLink.Query.PromQL.Parser;

/// <summary>The PromQL value types an expression can evaluate to.</summary>
public enum PromValueType
{
    /// <summary>No value.</summary>
    None,
    /// <summary>A single float.</summary>
    Scalar,
    /// <summary>An instant vector.</summary>
    Vector,
    /// <summary>A range vector.</summary>
    Matrix,
    /// <summary>A string.</summary>
    String,
}
