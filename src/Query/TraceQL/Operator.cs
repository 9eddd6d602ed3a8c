namespace TraceLink.Query.TraceQL;

/// <summary>Binary operators of field and spanset expressions.</summary>
internal enum Operator
{
    And,
    Or,
    Eq,
    Neq,
    Re,
    Nre,
    Gt,
    Gte,
    Lt,
    Lte,

    /// <summary>Legacy tag search: the value's string form equals a string (so <c>http.status_code=500</c> matches an int).</summary>
    LooseEq,
}
