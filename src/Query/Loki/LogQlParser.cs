using System.Globalization;
using System.Text;

using TraceLink.Storage.Tsdb;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Query.Loki;

/// <summary>
/// Parses the LogQL subset TraceLink serves: <c>{name="v", name=~"re", ...}</c> followed by line filters
/// <c>|= != |~ !~</c> with double-quoted or back-quoted strings. Errors read like Loki's parse errors.
/// </summary>
internal static class LogQlParser
{
    private const string EmptyCompatibleError =
        "queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will";

    public static LogQlQuery? Parse(string text, out string? error)
    {
        var position = 0;
        error = null;
        SkipSpace(text, ref position);
        if (!Expect(text, ref position, '{', out error))
        {
            return null;
        }

        var matchers = new List<LabelMatcher>();
        SkipSpace(text, ref position);
        while (position < text.Length && text[position] != '}')
        {
            var nameStart = position;
            while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] == '_'))
            {
                position++;
            }

            if (position == nameStart || char.IsAsciiDigit(text[nameStart]))
            {
                error = Error(text, nameStart, "syntax error: unexpected character, expecting label name");
                return null;
            }

            var name = text[nameStart..position];
            SkipSpace(text, ref position);
            var type = ReadMatchOperator(text, ref position);
            if (type is null)
            {
                error = Error(text, position, "syntax error: unexpected character, expecting = or != or =~ or !~");
                return null;
            }

            SkipSpace(text, ref position);
            var value = ReadString(text, ref position, out error);
            if (value is null)
            {
                return null;
            }

            try
            {
                matchers.Add(new LabelMatcher(type.Value, name, value));
            }
            catch (ArgumentException)
            {
                error = Error(text, position, $"invalid regex {Quote(value)}");
                return null;
            }

            SkipSpace(text, ref position);
            if (position < text.Length && text[position] == ',')
            {
                position++;
                SkipSpace(text, ref position);
            }
            else if (position < text.Length && text[position] != '}')
            {
                error = Error(text, position, "syntax error: unexpected character, expecting , or }");
                return null;
            }
        }

        if (!Expect(text, ref position, '}', out error))
        {
            return null;
        }

        var filters = new List<LineFilter>();
        SkipSpace(text, ref position);
        while (position < text.Length)
        {
            LineFilterType filterType;
            if (Next(text, position, "|="))
            {
                filterType = LineFilterType.Contains;
            }
            else if (Next(text, position, "!="))
            {
                filterType = LineFilterType.NotContains;
            }
            else if (Next(text, position, "|~"))
            {
                filterType = LineFilterType.Matches;
            }
            else if (Next(text, position, "!~"))
            {
                filterType = LineFilterType.NotMatches;
            }
            else
            {
                error = Error(text, position, "syntax error: unexpected input; only line filters |= != |~ !~ are supported after the stream selector");
                return null;
            }

            position += 2;
            SkipSpace(text, ref position);
            var value = ReadString(text, ref position, out error);
            if (value is null)
            {
                return null;
            }

            try
            {
                filters.Add(new LineFilter(filterType, value));
            }
            catch (ArgumentException)
            {
                error = Error(text, position, $"invalid regex {Quote(value)}");
                return null;
            }

            SkipSpace(text, ref position);
        }

        var hasNonEmpty = false;
        foreach (var matcher in matchers)
        {
            hasNonEmpty |= !matcher.Matches(string.Empty);
        }

        if (!hasNonEmpty)
        {
            error = EmptyCompatibleError;
            return null;
        }

        return new LogQlQuery(matchers, filters);
    }

    private static MatchType? ReadMatchOperator(string text, ref int position)
    {
        if (Next(text, position, "=~"))
        {
            position += 2;
            return MatchType.Regex;
        }

        if (Next(text, position, "!~"))
        {
            position += 2;
            return MatchType.NotRegex;
        }

        if (Next(text, position, "!="))
        {
            position += 2;
            return MatchType.NotEqual;
        }

        if (position < text.Length && text[position] == '=')
        {
            position++;
            return MatchType.Equal;
        }

        return null;
    }

    private static string? ReadString(string text, ref int position, out string? error)
    {
        error = null;
        if (position >= text.Length || (text[position] != '"' && text[position] != '`'))
        {
            error = Error(text, position, "syntax error: unexpected input, expecting STRING");
            return null;
        }

        var quote = text[position++];
        var builder = new StringBuilder();
        while (position < text.Length)
        {
            var c = text[position++];
            if (c == quote)
            {
                return builder.ToString();
            }

            if (c != '\\' || quote == '`')
            {
                builder.Append(c);
                continue;
            }

            if (position >= text.Length)
            {
                break;
            }

            var escaped = text[position++];
            switch (escaped)
            {
                case 'n':
                    builder.Append('\n');
                    break;
                case 't':
                    builder.Append('\t');
                    break;
                case 'r':
                    builder.Append('\r');
                    break;
                case '\\':
                case '"':
                case '\'':
                    builder.Append(escaped);
                    break;
                case 'u' when position + 4 <= text.Length && ushort.TryParse(text.AsSpan(position, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code):
                    builder.Append((char)code);
                    position += 4;
                    break;
                default:
                    // Go's strconv.Unquote rejects unknown escapes such as \d; a regex needs "\\d".
                    error = Error(text, position - 2, $"invalid char escape \\{escaped}");
                    return null;
            }
        }

        error = Error(text, position, "literal not terminated");
        return null;
    }

    private static bool Expect(string text, ref int position, char expected, out string? error)
    {
        if (position < text.Length && text[position] == expected)
        {
            position++;
            error = null;
            return true;
        }

        error = Error(text, position, position >= text.Length ? $"syntax error: unexpected end of input, expecting {expected}" : $"syntax error: unexpected {text[position]}, expecting {expected}");
        return false;
    }

    private static bool Next(string text, int position, string token) => string.CompareOrdinal(text, position, token, 0, token.Length) == 0;

    private static void SkipSpace(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }

    private static string Quote(string value) => "\"" + value.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Error(string text, int position, string message)
    {
        var line = 1;
        var column = 1;
        for (var i = 0; i < position && i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }

        return $"parse error at line {line}, col {column}: {message}";
    }
}
