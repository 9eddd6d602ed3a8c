namespace TraceLink.Storage.Tsdb;

/// <summary>The four Prometheus label matcher kinds.</summary>
public enum MatchType
{
    /// <summary><c>=</c></summary>
    Equal,
    /// <summary><c>!=</c></summary>
    NotEqual,
    /// <summary><c>=~</c> (fully anchored)</summary>
    Regex,
    /// <summary><c>!~</c> (fully anchored)</summary>
    NotRegex,
}
