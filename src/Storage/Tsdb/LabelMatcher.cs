using System.Text.RegularExpressions;

namespace TraceLink.Storage.Tsdb;

/// <summary>
/// A Prometheus label matcher. Regexes are fully anchored (<c>^(?:re)$</c>) and matched with
/// RE2-compatible semantics (.NET non-backtracking engine, dot matches newline as in Go's <c>(?s)</c>).
/// An absent label matches as the empty string.
/// </summary>
public sealed class LabelMatcher
{
    private readonly Regex? _regex;

    /// <summary>Creates a matcher; throws <see cref="ArgumentException"/> for an invalid regex.</summary>
    public LabelMatcher(MatchType type, string name, string value)
    {
        Type = type;
        Name = name;
        Value = value;
        if (type is MatchType.Regex or MatchType.NotRegex)
        {
            _regex = new Regex(
                "^(?:" + value + ")$",
                RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking);
        }
    }

    /// <summary>The matcher kind.</summary>
    public MatchType Type { get; }

    /// <summary>The label name.</summary>
    public string Name { get; }

    /// <summary>The value or regex source.</summary>
    public string Value { get; }

    /// <summary>Whether a label value (empty when the label is absent) satisfies the matcher.</summary>
    public bool Matches(string value) => Type switch
    {
        MatchType.Equal => value == Value,
        MatchType.NotEqual => value != Value,
        MatchType.Regex => _regex!.IsMatch(value),
        _ => !_regex!.IsMatch(value),
    };

    /// <inheritdoc />
    public override string ToString()
    {
        var op = Type switch
        {
            MatchType.Equal => "=",
            MatchType.NotEqual => "!=",
            MatchType.Regex => "=~",
            _ => "!~",
        };
        return Name + op + "\"" + Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }
}
