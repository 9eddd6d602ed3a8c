namespace TraceLink.Query.Loki;

/// <summary>The four LogQL line filter operators.</summary>
internal enum LineFilterType
{
    /// <summary><c>|=</c> line contains.</summary>
    Contains,
    /// <summary><c>!=</c> line does not contain.</summary>
    NotContains,
    /// <summary><c>|~</c> line matches the regex (unanchored).</summary>
    Matches,
    /// <summary><c>!~</c> line does not match the regex.</summary>
    NotMatches,
}
