using System.Globalization;

using TraceLink.Storage.Tsdb;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Query.PromQL.Parser;

/// <summary>Recursive-descent PromQL parser with Prometheus's precedence and type checks.</summary>
public sealed class PromQLParser
{
    private static readonly HashSet<string> Aggregators = new(StringComparer.OrdinalIgnoreCase)
    {
        "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk", "count_values", "quantile", "limitk", "limit_ratio",
    };

    private readonly string _input;
    private readonly List<Token> _tokens;
    private int _i;

    private PromQLParser(string input)
    {
        _input = input;
        _tokens = new Lexer(input).Tokenize();
    }

    /// <summary>Parses and type-checks a PromQL expression; throws <see cref="PromQLParseException"/>.</summary>
    public static Expr ParseExpr(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var p = new PromQLParser(input);
        if (p.Peek.Kind == TokenKind.Eof)
        {
            throw new PromQLParseException(input, 0, "no expression found in input");
        }

        var e = p.ParseBinary(0);
        if (p.Peek.Kind != TokenKind.Eof)
        {
            throw p.Unexpected(p.Peek, null);
        }

        if (e.Type is not (PromValueType.Scalar or PromValueType.Vector or PromValueType.Matrix or PromValueType.String))
        {
            throw p.Error(e, "expression must have a valid expression type");
        }

        return e;
    }

    /// <summary>Parses a series selector such as <c>up{job="x"}</c> (used by <c>match[]</c>).</summary>
    public static VectorSelector ParseSelector(string input)
    {
        var e = ParseExpr(input);
        if (e is VectorSelector vs && !vs.HasOffset && vs.Timestamp is null && vs.At == AtModifier.None)
        {
            return vs;
        }

        throw new PromQLParseException(input, 0, "expected vector selector, got " + TypeName(e.Type));
    }

    private Token Peek => _tokens[_i];

    private Token PeekAt(int o) => _tokens[Math.Min(_i + o, _tokens.Count - 1)];

    private Token Next() => _tokens[_i++];

    private PromQLParseException Error(int pos, string msg) => new(_input, pos, msg);

    private PromQLParseException Error(Expr e, string msg) => new(_input, e.Start, msg);

    private PromQLParseException Unexpected(Token t, string? expected, string? context = null)
    {
        var what = t.Kind switch
        {
            TokenKind.Eof => "end of input",
            TokenKind.Identifier when IsKeyword(t.Text) => t.Text.ToLowerInvariant(),
            TokenKind.Identifier => "identifier \"" + t.Text + "\"",
            TokenKind.MetricIdentifier => "metric identifier \"" + t.Text + "\"",
            TokenKind.Number => "number \"" + t.Text + "\"",
            TokenKind.Duration => "duration \"" + t.Text + "\"",
            TokenKind.String => "string \"" + t.Text + "\"",
            TokenKind.LeftParen => "\"(\"",
            TokenKind.RightParen => "\")\"",
            TokenKind.LeftBrace => "\"{\"",
            TokenKind.RightBrace => "\"}\"",
            TokenKind.LeftBracket => "\"[\"",
            TokenKind.RightBracket => "\"]\"",
            TokenKind.Comma => "\",\"",
            TokenKind.Colon => "\":\"",
            TokenKind.Assign => "\"=\"",
            TokenKind.At => "\"@\"",
            _ => "<op:" + t.Text + ">",
        };
        var msg = "unexpected " + what;
        if (context != null)
        {
            msg += " in " + context;
        }

        if (expected != null)
        {
            msg += ", expected " + expected;
        }

        return Error(t.Pos, msg);
    }

    private static bool IsKeyword(string s) => s.ToLowerInvariant() is "and" or "or" or "unless" or "atan2" or "by" or "without" or "on"
        or "ignoring" or "group_left" or "group_right" or "bool" or "offset" or "start" or "end" || Aggregators.Contains(s);

    private static bool IsWord(Token t, string word) => t.Kind == TokenKind.Identifier && t.Text.Equals(word, StringComparison.OrdinalIgnoreCase);

    private Token Expect(TokenKind kind, string context, string expected)
    {
        var t = Peek;
        if (t.Kind != kind)
        {
            throw Unexpected(t, expected, context);
        }

        _i++;
        return t;
    }

    internal static int Precedence(TokenKind k) => k switch
    {
        TokenKind.Or => 1,
        TokenKind.And or TokenKind.Unless => 2,
        TokenKind.Eql or TokenKind.Neq or TokenKind.Lss or TokenKind.Lte or TokenKind.Gtr or TokenKind.Gte => 3,
        TokenKind.Add or TokenKind.Sub => 4,
        TokenKind.Mul or TokenKind.Div or TokenKind.Mod or TokenKind.Atan2 => 5,
        TokenKind.Pow => 6,
        _ => 0,
    };

    internal static bool IsComparison(TokenKind k) => k is TokenKind.Eql or TokenKind.Neq or TokenKind.Lss or TokenKind.Lte or TokenKind.Gtr or TokenKind.Gte;

    internal static bool IsSetOperator(TokenKind k) => k is TokenKind.And or TokenKind.Or or TokenKind.Unless;

    private static TokenKind BinaryOp(Token t)
    {
        if (t.Kind == TokenKind.Identifier)
        {
            return t.Text.ToLowerInvariant() switch
            {
                "and" => TokenKind.And,
                "or" => TokenKind.Or,
                "unless" => TokenKind.Unless,
                "atan2" => TokenKind.Atan2,
                _ => TokenKind.Eof,
            };
        }

        return Precedence(t.Kind) > 0 ? t.Kind : TokenKind.Eof;
    }

    private Expr ParseBinary(int minPrec)
    {
        var lhs = ParseUnary();
        while (true)
        {
            var opTok = Peek;
            var op = BinaryOp(opTok);
            if (op == TokenKind.Eof)
            {
                return lhs;
            }

            var prec = Precedence(op);
            if (prec < minPrec)
            {
                return lhs;
            }

            _i++;
            var returnBool = false;
            if (IsWord(Peek, "bool"))
            {
                _i++;
                returnBool = true;
            }

            VectorMatching? matching = null;
            if (IsWord(Peek, "on") || IsWord(Peek, "ignoring"))
            {
                matching = new VectorMatching { On = IsWord(Next(), "on"), Explicit = true };
                matching.MatchingLabels = ParseLabelList();
                if (IsWord(Peek, "group_left") || IsWord(Peek, "group_right"))
                {
                    matching.Card = IsWord(Next(), "group_left") ? VectorMatchCardinality.ManyToOne : VectorMatchCardinality.OneToMany;
                    if (Peek.Kind == TokenKind.LeftParen)
                    {
                        matching.Include = ParseLabelList();
                    }
                }
            }
            else if (IsWord(Peek, "group_left") || IsWord(Peek, "group_right"))
            {
                throw Unexpected(Peek, null, "binary expression");
            }

            var rhs = ParseBinary(op == TokenKind.Pow ? prec : prec + 1);
            var bin = new BinaryExpr(op, lhs, rhs) { ReturnBool = returnBool, Start = lhs.Start, End = rhs.End };
            CheckBinary(bin, opTok, matching);
            lhs = bin;
        }
    }

    private void CheckBinary(BinaryExpr n, Token opTok, VectorMatching? matching)
    {
        var lt = n.Lhs.Type;
        var rt = n.Rhs.Type;
        var bothVectors = lt == PromValueType.Vector && rt == PromValueType.Vector;
        if (n.ReturnBool && !IsComparison(n.Op))
        {
            throw Error(opTok.Pos, "bool modifier can only be used on comparison operators");
        }

        if (IsComparison(n.Op) && !n.ReturnBool && lt == PromValueType.Scalar && rt == PromValueType.Scalar)
        {
            throw Error(opTok.Pos, "comparisons between scalars must use BOOL modifier");
        }

        if (lt is not (PromValueType.Scalar or PromValueType.Vector))
        {
            throw Error(n.Lhs, "binary expression must contain only scalar and instant vector types");
        }

        if (rt is not (PromValueType.Scalar or PromValueType.Vector))
        {
            throw Error(n.Rhs, "binary expression must contain only scalar and instant vector types");
        }

        if (IsSetOperator(n.Op))
        {
            if (!bothVectors)
            {
                throw Error(n, "set operator \"" + OpName(n.Op) + "\" not allowed in binary scalar expression");
            }

            if (matching != null && matching.Card is VectorMatchCardinality.ManyToOne or VectorMatchCardinality.OneToMany)
            {
                throw Error(n, "no grouping allowed for \"" + OpName(n.Op) + "\" operation");
            }

            matching ??= new VectorMatching();
            matching.Card = VectorMatchCardinality.ManyToMany;
        }

        if (!bothVectors && matching is { Explicit: true })
        {
            throw Error(n, "vector matching only allowed between instant vectors");
        }

        if (matching != null && matching.On)
        {
            foreach (var l in matching.MatchingLabels)
            {
                if (matching.Include.Contains(l))
                {
                    throw Error(n, "label \"" + l + "\" must not occur in ON and GROUP clause at once");
                }
            }
        }

        n.Matching = bothVectors ? matching ?? new VectorMatching() : null;
    }

    internal static string OpName(TokenKind k) => k switch
    {
        TokenKind.Add => "+",
        TokenKind.Sub => "-",
        TokenKind.Mul => "*",
        TokenKind.Div => "/",
        TokenKind.Mod => "%",
        TokenKind.Pow => "^",
        TokenKind.Eql => "==",
        TokenKind.Neq => "!=",
        TokenKind.Lss => "<",
        TokenKind.Lte => "<=",
        TokenKind.Gtr => ">",
        TokenKind.Gte => ">=",
        TokenKind.And => "and",
        TokenKind.Or => "or",
        TokenKind.Unless => "unless",
        TokenKind.Atan2 => "atan2",
        _ => k.ToString(),
    };

    private Expr ParseUnary()
    {
        var t = Peek;
        if (t.Kind is TokenKind.Add or TokenKind.Sub)
        {
            _i++;
            var operand = ParseBinary(Precedence(TokenKind.Pow));
            if (operand is NumberLiteral nl)
            {
                if (t.Kind == TokenKind.Sub)
                {
                    nl.Value = -nl.Value;
                }

                nl.Start = t.Pos;
                return nl;
            }

            if (operand.Type is not (PromValueType.Scalar or PromValueType.Vector))
            {
                throw Error(t.Pos, "unary expression only allowed on expressions of type scalar or instant vector, got \"" + TypeName(operand.Type) + "\"");
            }

            return new UnaryExpr(t.Kind, operand) { Start = t.Pos, End = operand.End };
        }

        return ParsePostfix(ParsePrimary());
    }

    private Expr ParsePostfix(Expr e)
    {
        while (true)
        {
            var t = Peek;
            if (t.Kind == TokenKind.LeftBracket)
            {
                _i++;
                var rangeTok = Peek;
                var range = ExpectDuration("range");
                if (Peek.Kind == TokenKind.Colon)
                {
                    _i++;
                    long step = 0;
                    if (Peek.Kind is TokenKind.Duration or TokenKind.Number)
                    {
                        step = ExpectDuration("subquery step");
                    }

                    var close = Expect(TokenKind.RightBracket, "subquery selector", "\"]\"");
                    if (e.Type != PromValueType.Vector)
                    {
                        throw Error(e, "subquery is only allowed on instant vector, got " + TypeName(e.Type) + " instead");
                    }

                    e = new SubqueryExpr(e, range, step) { Start = e.Start, End = close.Pos + 1 };
                }
                else
                {
                    var close = Expect(TokenKind.RightBracket, "matrix selector", "\"]\" or \":\"");
                    if (e is not VectorSelector vs)
                    {
                        throw Error(e, "ranges only allowed for vector selectors");
                    }

                    if (vs.HasOffset || vs.Timestamp != null || vs.At != AtModifier.None)
                    {
                        throw Error(e, "no offset modifiers allowed before range");
                    }

                    if (range <= 0)
                    {
                        throw Error(rangeTok.Pos, "range must be greater than 0");
                    }

                    e = new MatrixSelector(vs, range) { Start = e.Start, End = close.Pos + 1 };
                }
            }
            else if (IsWord(t, "offset"))
            {
                _i++;
                var neg = false;
                if (Peek.Kind is TokenKind.Sub or TokenKind.Add)
                {
                    neg = Next().Kind == TokenKind.Sub;
                }

                var d = Peek;
                var off = ExpectDuration("offset") * (neg ? -1 : 1);
                SetOffset(e, off);
                e.End = d.Pos + d.Length;
            }
            else if (t.Kind == TokenKind.At)
            {
                _i++;
                var a = Peek;
                long? ts = null;
                var at = AtModifier.None;
                if (IsWord(a, "start") || IsWord(a, "end"))
                {
                    _i++;
                    Expect(TokenKind.LeftParen, "@ modifier", "\"(\"");
                    var close = Expect(TokenKind.RightParen, "@ modifier", "\")\"");
                    at = IsWord(a, "start") ? AtModifier.Start : AtModifier.End;
                    e.End = close.Pos + 1;
                }
                else
                {
                    var neg = false;
                    if (Peek.Kind is TokenKind.Sub or TokenKind.Add)
                    {
                        neg = Next().Kind == TokenKind.Sub;
                    }

                    var n = Peek;
                    double f;
                    if (n.Kind == TokenKind.Duration)
                    {
                        _i++;
                        f = Duration(n) / 1000.0;
                    }
                    else
                    {
                        n = Expect(TokenKind.Number, "@ modifier", "timestamp");
                        _ = Lexer.TryParseNumber(n.Text, out f);
                    }

                    if (neg)
                    {
                        f = -f;
                    }

                    if (double.IsInfinity(f) || double.IsNaN(f) || f * 1000 >= long.MaxValue || f * 1000 <= long.MinValue)
                    {
                        throw Error(n.Pos, "timestamp out of bounds for @ modifier: " + f.ToString("F6", CultureInfo.InvariantCulture));
                    }

                    ts = (long)Math.Round(f * 1000, MidpointRounding.AwayFromZero);
                    e.End = n.Pos + n.Length;
                }

                SetAt(e, ts, at);
            }
            else
            {
                return e;
            }
        }
    }

    private void SetOffset(Expr e, long off)
    {
        switch (e)
        {
            case VectorSelector vs:
                if (vs.HasOffset)
                {
                    throw Error(e, "offset may not be set multiple times");
                }

                vs.OffsetMs = off;
                vs.HasOffset = true;
                break;
            case MatrixSelector ms:
                SetOffset(ms.Selector, off);
                break;
            case SubqueryExpr sq:
                if (sq.HasOffset)
                {
                    throw Error(e, "offset may not be set multiple times");
                }

                sq.OffsetMs = off;
                sq.HasOffset = true;
                break;
            default:
                throw Error(e, "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery");
        }
    }

    private void SetAt(Expr e, long? ts, AtModifier at)
    {
        switch (e)
        {
            case VectorSelector vs:
                if (vs.Timestamp != null || vs.At != AtModifier.None)
                {
                    throw Error(e, "@ <timestamp> may not be set multiple times");
                }

                vs.Timestamp = ts;
                vs.At = at;
                break;
            case MatrixSelector ms:
                SetAt(ms.Selector, ts, at);
                break;
            case SubqueryExpr sq:
                if (sq.Timestamp != null || sq.At != AtModifier.None)
                {
                    throw Error(e, "@ <timestamp> may not be set multiple times");
                }

                sq.Timestamp = ts;
                sq.At = at;
                break;
            default:
                throw Error(e, "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery");
        }
    }

    /// <summary>Reads a duration, or (as Prometheus 2.x allows) a plain number of seconds.</summary>
    private long ExpectDuration(string context)
    {
        var t = Peek;
        if (t.Kind == TokenKind.Duration)
        {
            _i++;
            return Duration(t);
        }

        if (t.Kind == TokenKind.Number && Lexer.TryParseNumber(t.Text, out var secs) && !double.IsNaN(secs) && !double.IsInfinity(secs))
        {
            _i++;
            return (long)Math.Round(secs * 1000);
        }

        throw Unexpected(t, "duration", context);
    }

    private long Duration(Token t)
    {
        if (!PromDuration.TryParse(t.Text, out var ms))
        {
            throw Error(t.Pos, "bad duration syntax: \"" + t.Text + "\"");
        }

        return ms;
    }

    private Expr ParsePrimary()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokenKind.Number:
                _i++;
                if (!Lexer.TryParseNumber(t.Text, out var v))
                {
                    throw Error(t.Pos, "error parsing number: " + t.Text);
                }

                return new NumberLiteral(v) { Start = t.Pos, End = t.Pos + t.Length };
            case TokenKind.Duration:
                _i++;
                return new NumberLiteral(Duration(t) / 1000.0) { Start = t.Pos, End = t.Pos + t.Length };
            case TokenKind.String:
                _i++;
                return new StringLiteral(t.Text) { Start = t.Pos, End = t.Pos + t.Length };
            case TokenKind.LeftParen:
                _i++;
                var inner = ParseBinary(0);
                var close = Expect(TokenKind.RightParen, "parenthesized expression", "\")\"");
                return new ParenExpr(inner) { Start = t.Pos, End = close.Pos + 1 };
            case TokenKind.LeftBrace:
                return ParseSelector(null, t.Pos);
            case TokenKind.MetricIdentifier:
                _i++;
                return ParseSelector(t.Text, t.Pos);
            case TokenKind.Identifier:
                _i++;
                var next = Peek;
                if (Aggregators.Contains(t.Text) && (next.Kind == TokenKind.LeftParen || IsWord(next, "by") || IsWord(next, "without")))
                {
                    return ParseAggregation(t);
                }

                if (next.Kind == TokenKind.LeftParen)
                {
                    if (!Functions.ByName.TryGetValue(t.Text, out var fn))
                    {
                        throw Error(t.Pos, "unknown function with name \"" + t.Text + "\"");
                    }

                    return ParseCall(t, fn);
                }

                if (IsKeyword(t.Text) && !Aggregators.Contains(t.Text) && !IsWord(t, "start") && !IsWord(t, "end") && !IsWord(t, "offset")
                    && !IsWord(t, "by") && !IsWord(t, "without"))
                {
                    throw Unexpected(t, null);
                }

                return ParseSelector(t.Text, t.Pos);
            default:
                throw Unexpected(t, null);
        }
    }

    private Call ParseCall(Token nameTok, FunctionInfo fn)
    {
        Expect(TokenKind.LeftParen, "function call", "\"(\"");
        var args = new List<Expr>();
        if (Peek.Kind != TokenKind.RightParen)
        {
            while (true)
            {
                args.Add(ParseBinary(0));
                if (Peek.Kind == TokenKind.Comma)
                {
                    _i++;
                    continue;
                }

                break;
            }
        }

        var close = Expect(TokenKind.RightParen, "function call", "\",\" or \")\"");
        var call = new Call(fn, args) { Start = nameTok.Pos, End = close.Pos + 1 };
        var n = fn.ArgTypes.Length;
        if (fn.Variadic == 0 && args.Count != n)
        {
            throw Error(call, $"expected {n} argument(s) in call to \"{fn.Name}\", got {args.Count}");
        }

        if (fn.Variadic != 0)
        {
            var min = fn.Variadic > 0 ? n - fn.Variadic : n - 1;
            if (args.Count < min)
            {
                throw Error(call, $"expected at least {min} argument(s) in call to \"{fn.Name}\", got {args.Count}");
            }

            if (fn.Variadic > 0 && args.Count > n)
            {
                throw Error(call, $"expected at most {n} argument(s) in call to \"{fn.Name}\", got {args.Count}");
            }
        }

        for (var i = 0; i < args.Count; i++)
        {
            var want = i < n ? fn.ArgTypes[i] : fn.ArgTypes[n - 1];
            ExpectType(args[i], want, "call to function \"" + fn.Name + "\"");
        }

        return call;
    }

    private void ExpectType(Expr e, PromValueType want, string context)
    {
        if (e.Type != want)
        {
            throw Error(e, $"expected type {TypeName(want)} in {context}, got {TypeName(e.Type)}");
        }
    }

    internal static string TypeName(PromValueType t) => t switch
    {
        PromValueType.Scalar => "scalar",
        PromValueType.Vector => "instant vector",
        PromValueType.Matrix => "range vector",
        PromValueType.String => "string",
        _ => "none",
    };

    private AggregateExpr ParseAggregation(Token opTok)
    {
        var op = opTok.Text.ToLowerInvariant();
        IReadOnlyList<string>? grouping = null;
        var without = false;
        if (IsWord(Peek, "by") || IsWord(Peek, "without"))
        {
            without = IsWord(Next(), "without");
            grouping = ParseLabelList();
        }

        Expect(TokenKind.LeftParen, "aggregation", "\"(\"");
        var args = new List<Expr>();
        if (Peek.Kind != TokenKind.RightParen)
        {
            while (true)
            {
                args.Add(ParseBinary(0));
                if (Peek.Kind == TokenKind.Comma)
                {
                    _i++;
                    if (Peek.Kind == TokenKind.RightParen)
                    {
                        break;
                    }

                    continue;
                }

                break;
            }
        }

        var close = Expect(TokenKind.RightParen, "aggregation", "\",\" or \")\"");
        var end = close.Pos + 1;
        if (IsWord(Peek, "by") || IsWord(Peek, "without"))
        {
            if (grouping != null)
            {
                throw Unexpected(Peek, null, "aggregation");
            }

            without = IsWord(Next(), "without");
            grouping = ParseLabelList();
            end = _tokens[_i - 1].Pos + 1;
        }

        var needsParam = op is "topk" or "bottomk" or "quantile" or "count_values" or "limitk" or "limit_ratio";
        if (args.Count == 0)
        {
            throw Error(opTok.Pos, "no arguments for aggregate expression provided");
        }

        var want = needsParam ? 2 : 1;
        if (args.Count != want)
        {
            throw Error(opTok.Pos, $"wrong number of arguments for aggregate expression provided, expected {want}, got {args.Count}");
        }

        var inner = args[^1];
        var param = needsParam ? args[0] : null;
        var agg = new AggregateExpr(op, inner, param)
        {
            Start = opTok.Pos,
            End = end,
            Grouping = grouping ?? [],
            Without = without,
            HasGrouping = grouping != null,
        };
        ExpectType(inner, PromValueType.Vector, "aggregation expression");
        if (param != null)
        {
            ExpectType(param, op == "count_values" ? PromValueType.String : PromValueType.Scalar, "aggregation parameter");
        }

        return agg;
    }

    private List<string> ParseLabelList()
    {
        Expect(TokenKind.LeftParen, "grouping opts", "\"(\"");
        var list = new List<string>();
        while (Peek.Kind != TokenKind.RightParen)
        {
            var t = Next();
            if (t.Kind == TokenKind.Identifier || (t.Kind == TokenKind.String && t.Text.Length > 0))
            {
                list.Add(t.Text);
            }
            else
            {
                throw Unexpected(t, "label", "grouping opts");
            }

            if (Peek.Kind == TokenKind.Comma)
            {
                _i++;
            }
            else if (Peek.Kind != TokenKind.RightParen)
            {
                throw Unexpected(Peek, "\",\" or \")\"", "grouping opts");
            }
        }

        _i++;
        return list;
    }

    private VectorSelector ParseSelector(string? name, int start)
    {
        var matchers = new List<LabelMatcher>();
        var end = start + (name?.Length ?? 0);
        if (Peek.Kind == TokenKind.LeftBrace)
        {
            _i++;
            while (Peek.Kind != TokenKind.RightBrace)
            {
                var lt = Next();
                if (lt.Kind == TokenKind.String && (Peek.Kind is TokenKind.Comma or TokenKind.RightBrace))
                {
                    // Prometheus 3 style quoted metric name: {"my.metric"}.
                    matchers.Add(new LabelMatcher(MatchType.Equal, "__name__", lt.Text));
                }
                else
                {
                    if (lt.Kind is not (TokenKind.Identifier or TokenKind.String))
                    {
                        throw Unexpected(lt, "label matching operator", "label matching");
                    }

                    var opTok = Next();
                    var mt = opTok.Kind switch
                    {
                        TokenKind.Assign => MatchType.Equal,
                        TokenKind.Neq => MatchType.NotEqual,
                        TokenKind.EqlRegex => MatchType.Regex,
                        TokenKind.NeqRegex => MatchType.NotRegex,
                        _ => throw Unexpected(opTok, "label matching operator", "label matching"),
                    };
                    var valTok = Next();
                    if (valTok.Kind != TokenKind.String)
                    {
                        throw Unexpected(valTok, "string", "label matching");
                    }

                    try
                    {
                        matchers.Add(new LabelMatcher(mt, lt.Text, valTok.Text));
                    }
                    catch (ArgumentException ex)
                    {
                        throw Error(valTok.Pos, "invalid regular expression \"" + valTok.Text + "\": " + ex.Message);
                    }
                    catch (NotSupportedException ex)
                    {
                        throw Error(valTok.Pos, "invalid regular expression \"" + valTok.Text + "\": " + ex.Message);
                    }
                }

                if (Peek.Kind == TokenKind.Comma)
                {
                    _i++;
                }
                else if (Peek.Kind != TokenKind.RightBrace)
                {
                    throw Unexpected(Peek, "\",\" or \"}\"", "label matching");
                }
            }

            end = Next().Pos + 1;
        }

        if (name != null)
        {
            foreach (var m in matchers)
            {
                if (m.Name == "__name__")
                {
                    throw Error(start, $"metric name must not be set twice: \"{name}\" or \"{m.Value}\"");
                }
            }

            matchers.Insert(0, new LabelMatcher(MatchType.Equal, "__name__", name));
        }

        var nonEmpty = false;
        foreach (var m in matchers)
        {
            if (!m.Matches(string.Empty))
            {
                nonEmpty = true;
                break;
            }
        }

        if (!nonEmpty)
        {
            throw Error(start, "vector selector must contain at least one non-empty matcher");
        }

        return new VectorSelector(name, matchers) { Start = start, End = end };
    }
}
