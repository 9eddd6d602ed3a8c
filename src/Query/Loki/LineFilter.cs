using System.Text.RegularExpressions;

namespace TraceLink.Query.Loki;

/// <summary>One LogQL line filter; regexes are unanchored with RE2-like semantics, as in Loki.</summary>
internal sealed class LineFilter
{
    private readonly Regex? _regex;

    public LineFilter(LineFilterType type, string value)
    {
        Type = type;
        Value = value;
        if (type is LineFilterType.Matches or LineFilterType.NotMatches)
        {
            _regex = new Regex(value, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
    }

    public LineFilterType Type { get; }

    public string Value { get; }

    public bool Accepts(string line) => Type switch
    {
        LineFilterType.Contains => line.Contains(Value, StringComparison.Ordinal),
        LineFilterType.NotContains => !line.Contains(Value, StringComparison.Ordinal),
        LineFilterType.Matches => _regex!.IsMatch(line),
        _ => !_regex!.IsMatch(line),
    };
}
