using System.Text.RegularExpressions;

namespace TraceLink.Query.TraceQL;

/// <summary>
/// Recursive-descent parser for TraceLink's TraceQL subset: spanset filters with <c>&amp;&amp; || ! ( )</c>,
/// comparisons, literals, intrinsics, scoped attributes, spanset <c>&amp;&amp;</c>/<c>||</c> and <c>| select(...)</c>.
/// Anything else fails with a <see cref="TraceQLParseException"/> naming line and column.
/// </summary>
/// <remarks>
/// Precedence inside a filter, loosest first: <c>||</c>, <c>&amp;&amp;</c>, <c>!</c>, comparison. <c>!</c> negates
/// the whole comparison after it (<c>!.a = 1</c> is <c>!(.a = 1)</c>).
/// </remarks>
internal sealed class TraceQLParser
{
    private readonly List<Token> _tokens;
    private readonly List<FieldExpression> _referenced = [];
    private readonly HashSet<string> _referencedNames = new(StringComparer.Ordinal);
    private int _index;
    private bool _spanLocal;

    private TraceQLParser(List<Token> tokens)
    {
        _tokens = tokens;
    }

    private Token Current => _tokens[_index];

    /// <summary>Parses a TraceQL query; throws <see cref="TraceQLParseException"/> on bad input.</summary>
    public static TraceQLQuery Parse(string text)
    {
        var parser = new TraceQLParser(Lexer.Tokenize(text));
        return parser.ParseQuery();
    }

    private TraceQLQuery ParseQuery()
    {
        var root = ParseSpansetOr();
        var selected = new List<FieldExpression>();
        while (Current.Kind == TokenKind.Pipe)
        {
            _index++;
            ParsePipelineStage(selected);
        }

        if (Current.Kind != TokenKind.End)
        {
            throw Unexpected(Current);
        }

        return new TraceQLQuery(root, selected, _referenced);
    }

    private void ParsePipelineStage(List<FieldExpression> selected)
    {
        var stage = Current;
        if (stage.Kind != TokenKind.Identifier)
        {
            throw Unexpected(stage);
        }

        if (stage.Text != "select")
        {
            throw new TraceQLParseException(stage.Line, stage.Column, $"pipeline stage '{stage.Text}' is not supported");
        }

        _index++;
        Expect(TokenKind.OpenParens, "OPEN_PARENS");
        while (true)
        {
            var field = ParseOperand();
            if (field is LiteralExpression)
            {
                throw new TraceQLParseException(stage.Line, stage.Column, "select() takes attributes or intrinsics");
            }

            selected.Add(field);
            if (Current.Kind == TokenKind.Comma)
            {
                _index++;
                continue;
            }

            Expect(TokenKind.CloseParens, "CLOSE_PARENS");
            return;
        }
    }

    private SpansetExpression ParseSpansetOr()
    {
        var left = ParseSpansetAnd();
        while (Current.Kind == TokenKind.Or)
        {
            _index++;
            left = new SpansetOperation(Operator.Or, left, ParseSpansetAnd());
        }

        return left;
    }

    private SpansetExpression ParseSpansetAnd()
    {
        var left = ParseSpansetPrimary();
        while (Current.Kind == TokenKind.And)
        {
            _index++;
            left = new SpansetOperation(Operator.And, left, ParseSpansetPrimary());
        }

        return left;
    }

    private SpansetExpression ParseSpansetPrimary()
    {
        SpansetExpression result;
        var token = Current;
        if (token.Kind == TokenKind.OpenParens)
        {
            _index++;
            result = ParseSpansetOr();
            Expect(TokenKind.CloseParens, "CLOSE_PARENS");
        }
        else if (token.Kind == TokenKind.OpenBrace)
        {
            _index++;
            _spanLocal = true;
            FieldExpression? expression = null;
            if (Current.Kind != TokenKind.CloseBrace)
            {
                expression = ParseOr();
            }

            Expect(TokenKind.CloseBrace, "CLOSE_BRACE");
            result = new SpansetFilter(expression) { IsSpanLocal = _spanLocal };
        }
        else
        {
            throw Unexpected(token, "OPEN_BRACE");
        }

        if (Current.Kind is TokenKind.Structural or TokenKind.Gt or TokenKind.Lt)
        {
            throw new TraceQLParseException(Current.Line, Current.Column, $"structural operator '{Current.Text}' is not supported");
        }

        return result;
    }

    private FieldExpression ParseOr()
    {
        var left = ParseAnd();
        while (Current.Kind == TokenKind.Or)
        {
            _index++;
            left = new BinaryExpression(Operator.Or, left, ParseAnd());
        }

        return left;
    }

    private FieldExpression ParseAnd()
    {
        var left = ParseUnary();
        while (Current.Kind == TokenKind.And)
        {
            _index++;
            left = new BinaryExpression(Operator.And, left, ParseUnary());
        }

        return left;
    }

    private FieldExpression ParseUnary()
    {
        if (Current.Kind == TokenKind.Not)
        {
            _index++;
            return new NotExpression(ParseUnary());
        }

        return ParseComparison();
    }

    private FieldExpression ParseComparison()
    {
        var left = ParsePrimary();
        var opToken = Current;
        Operator op;
        switch (opToken.Kind)
        {
            case TokenKind.Eq: op = Operator.Eq; break;
            case TokenKind.Neq: op = Operator.Neq; break;
            case TokenKind.Re: op = Operator.Re; break;
            case TokenKind.Nre: op = Operator.Nre; break;
            case TokenKind.Gt: op = Operator.Gt; break;
            case TokenKind.Gte: op = Operator.Gte; break;
            case TokenKind.Lt: op = Operator.Lt; break;
            case TokenKind.Lte: op = Operator.Lte; break;
            case TokenKind.Add or TokenKind.Sub or TokenKind.Mul or TokenKind.Div or TokenKind.Mod or TokenKind.Pow:
                throw new TraceQLParseException(opToken.Line, opToken.Column, "arithmetic is not supported");
            default:
                return left;
        }

        _index++;
        var rightToken = Current;
        var right = ParsePrimary();
        if (Current.Kind is TokenKind.Add or TokenKind.Sub or TokenKind.Mul or TokenKind.Div or TokenKind.Mod or TokenKind.Pow)
        {
            throw new TraceQLParseException(Current.Line, Current.Column, "arithmetic is not supported");
        }

        Regex? regex = null;
        if (op is Operator.Re or Operator.Nre)
        {
            if (right is not LiteralExpression { Value.Type: StaticType.String } literal)
            {
                throw new TraceQLParseException(rightToken.Line, rightToken.Column, "regular expressions must be string literals");
            }

            regex = CompileRegex(literal.Value.String, rightToken);
        }

        return new BinaryExpression(op, left, right, regex);
    }

    private FieldExpression ParsePrimary()
    {
        if (Current.Kind == TokenKind.OpenParens)
        {
            _index++;
            var inner = ParseOr();
            Expect(TokenKind.CloseParens, "CLOSE_PARENS");
            return inner;
        }

        return ParseOperand();
    }

    private FieldExpression ParseOperand()
    {
        var token = Current;
        _index++;
        switch (token.Kind)
        {
            case TokenKind.String:
                return new LiteralExpression(Static.FromString(token.Text));
            case TokenKind.Integer:
                return new LiteralExpression(Static.FromInt(token.IntValue));
            case TokenKind.Float:
                return new LiteralExpression(Static.FromFloat(token.FloatValue));
            case TokenKind.Duration:
                return new LiteralExpression(Static.FromDuration(token.IntValue));
            case TokenKind.True:
                return new LiteralExpression(Static.FromBool(true));
            case TokenKind.False:
                return new LiteralExpression(Static.FromBool(false));
            case TokenKind.Nil:
                return new LiteralExpression(Static.Nil);
            case TokenKind.StatusKeyword:
                return new LiteralExpression(Static.FromStatus(Static.StatusCode(token.Text)));
            case TokenKind.KindKeyword:
                return new LiteralExpression(Static.FromKind(Static.KindCode(token.Text)));
            case TokenKind.Sub:
                var number = Current;
                _index++;
                return number.Kind switch
                {
                    TokenKind.Integer => new LiteralExpression(Static.FromInt(-number.IntValue)),
                    TokenKind.Float => new LiteralExpression(Static.FromFloat(-number.FloatValue)),
                    TokenKind.Duration => new LiteralExpression(Static.FromDuration(-number.IntValue)),
                    _ => throw Unexpected(number),
                };
            case TokenKind.Attribute:
                var attribute = new AttributeExpression(token.Scope, token.Text);
                Reference(attribute);
                return attribute;
            case TokenKind.Intrinsic:
                if (IntrinsicExpression.Resolve(token.Text) is not { } intrinsic)
                {
                    throw new TraceQLParseException(token.Line, token.Column, $"intrinsic '{token.Text}' is not supported");
                }

                var expression = new IntrinsicExpression(intrinsic, token.Text);
                if (intrinsic is Intrinsic.RootName or Intrinsic.RootServiceName or Intrinsic.TraceDuration)
                {
                    _spanLocal = false;
                }

                if (intrinsic is Intrinsic.Status or Intrinsic.Kind or Intrinsic.StatusMessage)
                {
                    Reference(expression);
                }

                return expression;
            default:
                _index--;
                throw Unexpected(token);
        }
    }

    private void Reference(FieldExpression expression)
    {
        if (_referencedNames.Add(expression.ToString()!))
        {
            _referenced.Add(expression);
        }
    }

    private void Expect(TokenKind kind, string name)
    {
        if (Current.Kind != kind)
        {
            throw Unexpected(Current, name);
        }

        _index++;
    }

    private static TraceQLParseException Unexpected(Token token, string? expecting = null) =>
        new(token.Line, token.Column, expecting is null
            ? $"syntax error: unexpected {token.DisplayName}"
            : $"syntax error: unexpected {token.DisplayName}, expecting {expecting}");

    /// <summary>Tempo anchors regexes fully (Go RE2); NonBacktracking keeps matching linear like RE2.</summary>
    internal static Regex CompileRegex(string pattern, Token at)
    {
        try
        {
            return new Regex("^(?:" + pattern + ")$", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new TraceQLParseException(at.Line, at.Column, "error parsing regexp: " + e.Message);
        }
    }
}
