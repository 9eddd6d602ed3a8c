using System.Globalization;
using System.Text;

namespace TraceLink.Query.PromQL.Parser;

/// <summary>Context-free PromQL tokenizer; words come out as identifiers and the parser decides which are keywords.</summary>
internal sealed class Lexer(string input)
{
    private readonly string _input = input;
    private int _pos;

    public List<Token> Tokenize()
    {
        var tokens = new List<Token>();
        while (true)
        {
            var t = NextToken();
            tokens.Add(t);
            if (t.Kind == TokenKind.Eof)
            {
                return tokens;
            }
        }
    }

    private PromQLParseException Error(int pos, string msg) => new(_input, pos, msg);

    private Token NextToken()
    {
        while (_pos < _input.Length)
        {
            var c = _input[_pos];
            if (char.IsWhiteSpace(c))
            {
                _pos++;
            }
            else if (c == '#')
            {
                while (_pos < _input.Length && _input[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                break;
            }
        }

        if (_pos >= _input.Length)
        {
            return new Token(TokenKind.Eof, _input.Length, 0, string.Empty);
        }

        var start = _pos;
        var ch = _input[_pos];
        char Peek(int o) => _pos + o < _input.Length ? _input[_pos + o] : '\0';
        Token Op(TokenKind k, int len)
        {
            _pos += len;
            return new Token(k, start, len, _input.Substring(start, len));
        }

        switch (ch)
        {
            case '(': return Op(TokenKind.LeftParen, 1);
            case ')': return Op(TokenKind.RightParen, 1);
            case '{': return Op(TokenKind.LeftBrace, 1);
            case '}': return Op(TokenKind.RightBrace, 1);
            case '[': return Op(TokenKind.LeftBracket, 1);
            case ']': return Op(TokenKind.RightBracket, 1);
            case ',': return Op(TokenKind.Comma, 1);
            case ':': return Op(TokenKind.Colon, 1);
            case '@': return Op(TokenKind.At, 1);
            case '+': return Op(TokenKind.Add, 1);
            case '-': return Op(TokenKind.Sub, 1);
            case '*': return Op(TokenKind.Mul, 1);
            case '/': return Op(TokenKind.Div, 1);
            case '%': return Op(TokenKind.Mod, 1);
            case '^': return Op(TokenKind.Pow, 1);
            case '=':
                return Peek(1) switch
                {
                    '=' => Op(TokenKind.Eql, 2),
                    '~' => Op(TokenKind.EqlRegex, 2),
                    _ => Op(TokenKind.Assign, 1),
                };
            case '!':
                return Peek(1) switch
                {
                    '=' => Op(TokenKind.Neq, 2),
                    '~' => Op(TokenKind.NeqRegex, 2),
                    _ => throw Error(start, "unexpected character after '!': " + Quote(Peek(1))),
                };
            case '<': return Peek(1) == '=' ? Op(TokenKind.Lte, 2) : Op(TokenKind.Lss, 1);
            case '>': return Peek(1) == '=' ? Op(TokenKind.Gte, 2) : Op(TokenKind.Gtr, 1);
            case '"':
            case '\'':
            case '`':
                return LexString(ch);
            default:
                break;
        }

        if (char.IsAsciiDigit(ch) || (ch == '.' && char.IsAsciiDigit(Peek(1))))
        {
            return LexNumberOrDuration();
        }

        if (char.IsAsciiLetter(ch) || ch == '_' || ch == ':')
        {
            var hasColon = false;
            while (_pos < _input.Length && (char.IsAsciiLetterOrDigit(_input[_pos]) || _input[_pos] == '_' || _input[_pos] == ':'))
            {
                hasColon |= _input[_pos] == ':';
                _pos++;
            }

            var word = _input[start.._pos];
            if (word.Equals("inf", StringComparison.OrdinalIgnoreCase) || word.Equals("nan", StringComparison.OrdinalIgnoreCase))
            {
                return new Token(TokenKind.Number, start, _pos - start, word);
            }

            return new Token(hasColon ? TokenKind.MetricIdentifier : TokenKind.Identifier, start, _pos - start, word);
        }

        throw Error(start, "unexpected character: " + Quote(ch));
    }

    private static string Quote(char c) => c == '\0' ? "EOF" : "'" + c + "'";

    private Token LexNumberOrDuration()
    {
        var start = _pos;
        var isHex = _pos + 1 < _input.Length && _input[_pos] == '0' && (_input[_pos + 1] is 'x' or 'X');
        while (_pos < _input.Length)
        {
            var c = _input[_pos];
            if (char.IsAsciiLetterOrDigit(c) || c == '.' || c == '_')
            {
                _pos++;
            }
            else if ((c is '+' or '-') && !isHex && _pos > start && (_input[_pos - 1] is 'e' or 'E') && _pos + 1 < _input.Length && char.IsAsciiDigit(_input[_pos + 1]))
            {
                _pos++;
            }
            else
            {
                break;
            }
        }

        var text = _input[start.._pos];
        if (PromDuration.TryParse(text, out _) && text != "0" && !text.All(char.IsAsciiDigit))
        {
            return new Token(TokenKind.Duration, start, _pos - start, text);
        }

        if (TryParseNumber(text, out _))
        {
            return new Token(TokenKind.Number, start, _pos - start, text);
        }

        throw Error(start, "bad number or duration syntax: \"" + text + "\"");
    }

    /// <summary>Parses a PromQL number literal: decimal, float with exponent, hex, octal-looking ints, Inf, NaN.</summary>
    public static bool TryParseNumber(string text, out double value)
    {
        if (text.Length > 2 && text[0] == '0' && (text[1] is 'x' or 'X'))
        {
            if (ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            {
                value = hex;
                return true;
            }

            value = 0;
            return false;
        }

        if (text.Length > 1 && text[0] == '0' && text.All(char.IsAsciiDigit))
        {
            // Go's ParseInt with base 0 reads a leading 0 as octal.
            ulong o = 0;
            foreach (var c in text)
            {
                if (c > '7')
                {
                    return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
                }

                o = (o * 8) + (ulong)(c - '0');
            }

            value = o;
            return true;
        }

        var lower = text.ToLowerInvariant();
        switch (lower)
        {
            case "inf" or "+inf":
                value = double.PositiveInfinity;
                return true;
            case "-inf":
                value = double.NegativeInfinity;
                return true;
            case "nan" or "+nan" or "-nan":
                value = double.NaN;
                return true;
            default:
                break;
        }

        foreach (var c in text)
        {
            if (!(char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-'))
            {
                value = 0;
                return false;
            }
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private Token LexString(char quote)
    {
        var start = _pos;
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _input.Length)
            {
                throw Error(start, "unterminated quoted string");
            }

            var c = _input[_pos++];
            if (c == quote)
            {
                break;
            }

            if (quote != '`' && c == '\n')
            {
                throw Error(start, "unterminated quoted string");
            }

            if (c != '\\' || quote == '`')
            {
                sb.Append(c);
                continue;
            }

            if (_pos >= _input.Length)
            {
                throw Error(start, "unterminated quoted string");
            }

            var e = _input[_pos++];
            switch (e)
            {
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case '\\': sb.Append('\\'); break;
                case '"' or '\'' when e == quote: sb.Append(e); break;
                case 'x': sb.Append((char)ReadHex(2, start)); break;
                case 'u': sb.Append(char.ConvertFromUtf32(ReadHex(4, start))); break;
                case 'U': sb.Append(char.ConvertFromUtf32(ReadHex(8, start))); break;
                case >= '0' and <= '7':
                    var v = e - '0';
                    for (var k = 0; k < 2; k++)
                    {
                        if (_pos >= _input.Length || _input[_pos] is < '0' or > '7')
                        {
                            throw Error(start, "invalid escape sequence");
                        }

                        v = (v * 8) + (_input[_pos++] - '0');
                    }

                    sb.Append((char)v);
                    break;
                default:
                    throw Error(_pos - 2, "unknown escape sequence " + Quote(e));
            }
        }

        return new Token(TokenKind.String, start, _pos - start, sb.ToString());
    }

    private int ReadHex(int n, int start)
    {
        if (_pos + n > _input.Length || !int.TryParse(_input.AsSpan(_pos, n), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var v))
        {
            throw Error(start, "invalid escape sequence");
        }

        _pos += n;
        return v;
    }
}
