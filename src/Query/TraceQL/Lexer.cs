using System.Globalization;
using System.Text;

namespace TraceLink.Query.TraceQL;

/// <summary>
/// Splits TraceQL text into tokens the way Tempo's lexer does: scoped attributes (<c>span.http.url</c>,
/// <c>.foo</c>, quoted parts) are one token, numbers followed by a unit are durations.
/// </summary>
internal sealed class Lexer
{
    private readonly string _text;
    private int _position;
    private int _line = 1;
    private int _lineStart;

    public Lexer(string text)
    {
        _text = text;
    }

    /// <summary>Lexes the whole input; the last token is always <see cref="TokenKind.End"/>.</summary>
    public static List<Token> Tokenize(string text)
    {
        var lexer = new Lexer(text);
        var tokens = new List<Token>();
        while (true)
        {
            var token = lexer.Next();
            tokens.Add(token);
            if (token.Kind == TokenKind.End)
            {
                return tokens;
            }
        }
    }

    private int Column => _position - _lineStart + 1;

    private char Peek(int offset = 0) => _position + offset < _text.Length ? _text[_position + offset] : '\0';

    private bool HasMore(int offset = 0) => _position + offset < _text.Length;

    public Token Next()
    {
        SkipWhitespace();
        var line = _line;
        var column = Column;
        if (!HasMore())
        {
            return new Token(TokenKind.End, string.Empty, 0, 0, line, column);
        }

        var c = Peek();
        switch (c)
        {
            case '{': return Simple(TokenKind.OpenBrace, 1, line, column);
            case '}': return Simple(TokenKind.CloseBrace, 1, line, column);
            case '(': return Simple(TokenKind.OpenParens, 1, line, column);
            case ')': return Simple(TokenKind.CloseParens, 1, line, column);
            case ',': return Simple(TokenKind.Comma, 1, line, column);
            case '+': return Simple(TokenKind.Add, 1, line, column);
            case '-': return Simple(TokenKind.Sub, 1, line, column);
            case '*': return Simple(TokenKind.Mul, 1, line, column);
            case '/': return Simple(TokenKind.Div, 1, line, column);
            case '%': return Simple(TokenKind.Mod, 1, line, column);
            case '^': return Simple(TokenKind.Pow, 1, line, column);
            case '~': return Structural("~", line, column);
            case '=':
                return Peek(1) == '~' ? Simple(TokenKind.Re, 2, line, column) : Simple(TokenKind.Eq, 1, line, column);
            case '!':
                return Peek(1) switch
                {
                    '=' => Simple(TokenKind.Neq, 2, line, column),
                    '~' => Simple(TokenKind.Nre, 2, line, column),
                    '>' => Structural(Peek(2) == '>' ? "!>>" : "!>", line, column),
                    '<' => Structural(Peek(2) == '<' ? "!<<" : "!<", line, column),
                    _ => Simple(TokenKind.Not, 1, line, column),
                };
            case '>':
                return Peek(1) switch
                {
                    '>' => Structural(">>", line, column),
                    '=' => Simple(TokenKind.Gte, 2, line, column),
                    _ => Simple(TokenKind.Gt, 1, line, column),
                };
            case '<':
                return Peek(1) switch
                {
                    '<' => Structural("<<", line, column),
                    '=' => Simple(TokenKind.Lte, 2, line, column),
                    _ => Simple(TokenKind.Lt, 1, line, column),
                };
            case '&':
                return Peek(1) switch
                {
                    '&' => Simple(TokenKind.And, 2, line, column),
                    '>' => Structural(Peek(2) == '>' ? "&>>" : "&>", line, column),
                    '<' => Structural(Peek(2) == '<' ? "&<<" : "&<", line, column),
                    '~' => Structural("&~", line, column),
                    _ => throw new TraceQLParseException(line, column, "syntax error: unexpected '&'"),
                };
            case '|':
                return Peek(1) == '|' ? Simple(TokenKind.Or, 2, line, column) : Simple(TokenKind.Pipe, 1, line, column);
            case '"':
                return QuotedString(line, column);
            case '`':
                return RawString(line, column);
            case '.':
                _position++;
                return AttributeToken(AttributeScope.Unscoped, line, column);
            default:
                break;
        }

        if (char.IsAsciiDigit(c))
        {
            return Number(line, column);
        }

        if (char.IsAsciiLetter(c) || c == '_')
        {
            return Word(line, column);
        }

        throw new TraceQLParseException(line, column, $"syntax error: unexpected character '{c}'");
    }

    private void SkipWhitespace()
    {
        while (HasMore() && char.IsWhiteSpace(Peek()))
        {
            if (Peek() == '\n')
            {
                _line++;
                _lineStart = _position + 1;
            }

            _position++;
        }
    }

    private Token Simple(TokenKind kind, int length, int line, int column)
    {
        var text = _text.Substring(_position, length);
        _position += length;
        return new Token(kind, text, 0, 0, line, column);
    }

    private Token Structural(string text, int line, int column)
    {
        _position += text.Length;
        return new Token(TokenKind.Structural, text, 0, 0, line, column);
    }

    private Token QuotedString(int line, int column)
    {
        _position++;
        var builder = new StringBuilder();
        while (true)
        {
            if (!HasMore() || Peek() == '\n')
            {
                throw new TraceQLParseException(line, column, "literal not terminated");
            }

            var c = Peek();
            _position++;
            if (c == '"')
            {
                return new Token(TokenKind.String, builder.ToString(), 0, 0, line, column);
            }

            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }

            var escaped = Peek();
            _position++;
            switch (escaped)
            {
                case '"': builder.Append('"'); break;
                case '\\': builder.Append('\\'); break;
                case 'n': builder.Append('\n'); break;
                case 't': builder.Append('\t'); break;
                case 'r': builder.Append('\r'); break;
                default: throw new TraceQLParseException(line, column, "invalid syntax");
            }
        }
    }

    private Token RawString(int line, int column)
    {
        var end = _text.IndexOf('`', _position + 1);
        if (end < 0)
        {
            throw new TraceQLParseException(line, column, "literal not terminated");
        }

        var value = _text.Substring(_position + 1, end - _position - 1);
        _position = end + 1;
        return new Token(TokenKind.String, value, 0, 0, line, column);
    }

    private Token Number(int line, int column)
    {
        var start = _position;
        while (char.IsAsciiDigit(Peek()))
        {
            _position++;
        }

        var isFloat = false;
        if (Peek() == '.' && char.IsAsciiDigit(Peek(1)))
        {
            isFloat = true;
            _position++;
            while (char.IsAsciiDigit(Peek()))
            {
                _position++;
            }
        }

        if (Peek() is 'e' or 'E' && (char.IsAsciiDigit(Peek(1)) || (Peek(1) is '+' or '-' && char.IsAsciiDigit(Peek(2)))))
        {
            isFloat = true;
            _position += 2;
            while (char.IsAsciiDigit(Peek()))
            {
                _position++;
            }
        }

        // A unit right after the number makes it a duration (Tempo: tryScanDuration); compound forms like 1h30m too.
        if (IsDurationRune(Peek()))
        {
            var end = _position;
            while (end < _text.Length && (IsDurationRune(_text[end]) || char.IsAsciiDigit(_text[end]) || _text[end] == '.'))
            {
                end++;
            }

            if (DurationParser.TryParse(_text.AsSpan(start, end - start), allowPrometheusUnits: true, out var nanoseconds))
            {
                var durationText = _text[start..end];
                _position = end;
                return new Token(TokenKind.Duration, durationText, nanoseconds, 0, line, column);
            }
        }

        var text = _text[start.._position];
        if (isFloat)
        {
            return new Token(TokenKind.Float, text, 0, double.Parse(text, CultureInfo.InvariantCulture), line, column);
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new TraceQLParseException(line, column, $"strconv.Atoi: parsing \"{text}\": value out of range");
        }

        return new Token(TokenKind.Integer, text, value, 0, line, column);
    }

    private Token Word(int line, int column)
    {
        var start = _position;
        while (char.IsAsciiLetterOrDigit(Peek()) || Peek() == '_')
        {
            _position++;
        }

        var word = _text[start.._position];
        if (Peek() == '.')
        {
            AttributeScope? scope = word switch
            {
                "span" => AttributeScope.Span,
                "resource" => AttributeScope.Resource,
                "instrumentation" => AttributeScope.Instrumentation,
                _ => null,
            };
            if (scope is { } known)
            {
                _position++;
                return AttributeToken(known, line, column);
            }

            if (word is "event" or "link" or "parent")
            {
                throw new TraceQLParseException(line, column, $"{word}-scoped attributes are not supported");
            }
        }

        if (Peek() == ':' && word is "span" or "trace" or "event" or "link" or "instrumentation")
        {
            _position++;
            var nameStart = _position;
            while (char.IsAsciiLetterOrDigit(Peek()) || Peek() == '_')
            {
                _position++;
            }

            var intrinsic = word + ":" + _text[nameStart.._position];
            return new Token(TokenKind.Intrinsic, intrinsic, 0, 0, line, column);
        }

        return word switch
        {
            "true" => new Token(TokenKind.True, word, 0, 0, line, column),
            "false" => new Token(TokenKind.False, word, 0, 0, line, column),
            "nil" => new Token(TokenKind.Nil, word, 0, 0, line, column),
            "ok" or "error" or "unset" => new Token(TokenKind.StatusKeyword, word, 0, 0, line, column),
            "unspecified" or "internal" or "server" or "client" or "producer" or "consumer"
                => new Token(TokenKind.KindKeyword, word, 0, 0, line, column),
            "duration" or "name" or "status" or "statusMessage" or "kind" or "rootName" or "rootServiceName"
                or "traceDuration" or "childCount" or "nestedSetLeft" or "nestedSetRight" or "nestedSetParent"
                => new Token(TokenKind.Intrinsic, word, 0, 0, line, column),
            _ => new Token(TokenKind.Identifier, word, 0, 0, line, column),
        };
    }

    private Token AttributeToken(AttributeScope scope, int line, int column)
    {
        var builder = new StringBuilder();
        while (HasMore() && IsAttributeRune(Peek()))
        {
            if (Peek() != '"')
            {
                builder.Append(Peek());
                _position++;
                continue;
            }

            _position++;
            while (true)
            {
                if (!HasMore())
                {
                    throw new TraceQLParseException(line, column, "unexpected EOF, expecting \"");
                }

                var c = Peek();
                _position++;
                if (c == '"')
                {
                    break;
                }

                if (c == '\\')
                {
                    if (Peek() is not ('"' or '\\'))
                    {
                        throw new TraceQLParseException(line, column, "invalid escape sequence");
                    }

                    c = Peek();
                    _position++;
                }

                builder.Append(c);
            }
        }

        if (builder.Length == 0)
        {
            throw new TraceQLParseException(line, Column, "syntax error: unexpected END_ATTRIBUTE, expecting IDENTIFIER");
        }

        return new Token(TokenKind.Attribute, builder.ToString(), 0, 0, line, column) { Scope = scope };
    }

    private static bool IsDurationRune(char c) => c is 'n' or 's' or 'u' or 'm' or 'h' or 'µ' or 'μ' or 'd' or 'w' or 'y';

    private static bool IsAttributeRune(char c) =>
        !char.IsWhiteSpace(c) && c is not ('{' or '}' or '(' or ')' or '=' or '~' or '!' or '<' or '>' or '&' or '|' or '^' or ',');
}
