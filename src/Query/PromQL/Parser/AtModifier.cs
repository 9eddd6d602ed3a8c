namespace TraceLink.Query.PromQL.Parser;

/// <summary>Which <c>@</c> form a selector or subquery carries.</summary>
public enum AtModifier
{
    /// <summary>No <c>@</c>, or an explicit timestamp.</summary>
    None,
    /// <summary><c>@ start()</c>.</summary>
    Start,
    /// <summary><c>@ end()</c>.</summary>
    End,
}
