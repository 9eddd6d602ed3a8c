namespace TraceLink.Query.TraceQL;

/// <summary>One lexed TraceQL token with its 1-based line and column.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, long IntValue, double FloatValue, int Line, int Column)
{
    /// <summary>Scope of an <see cref="TokenKind.Attribute"/> token.</summary>
    public AttributeScope Scope { get; init; }

    /// <summary>The name Tempo's parser would print for this token in a syntax error.</summary>
    public string DisplayName => Kind switch
    {
        TokenKind.End => "$end",
        TokenKind.OpenBrace => "OPEN_BRACE",
        TokenKind.CloseBrace => "CLOSE_BRACE",
        TokenKind.OpenParens => "OPEN_PARENS",
        TokenKind.CloseParens => "CLOSE_PARENS",
        TokenKind.Comma => "COMMA",
        TokenKind.Eq => "EQ",
        TokenKind.Neq => "NEQ",
        TokenKind.Re => "RE",
        TokenKind.Nre => "NRE",
        TokenKind.Gt => "GT",
        TokenKind.Gte => "GTE",
        TokenKind.Lt => "LT",
        TokenKind.Lte => "LTE",
        TokenKind.And => "AND",
        TokenKind.Or => "OR",
        TokenKind.Not => "NOT",
        TokenKind.Pipe => "PIPE",
        TokenKind.Add => "ADD",
        TokenKind.Sub => "SUB",
        TokenKind.Mul => "MUL",
        TokenKind.Div => "DIV",
        TokenKind.Mod => "MOD",
        TokenKind.Pow => "POW",
        TokenKind.String => "STRING",
        TokenKind.Integer => "INTEGER",
        TokenKind.Float => "FLOAT",
        TokenKind.Duration => "DURATION",
        TokenKind.True => "TRUE",
        TokenKind.False => "FALSE",
        TokenKind.Nil => "NIL",
        TokenKind.StatusKeyword => "STATUS_" + Text.ToUpperInvariant(),
        TokenKind.KindKeyword => "KIND_" + Text.ToUpperInvariant(),
        TokenKind.Intrinsic => Text.ToUpperInvariant().Replace(':', '_'),
        TokenKind.Attribute => Scope switch
        {
            AttributeScope.Span => "SPAN_DOT",
            AttributeScope.Resource => "RESOURCE_DOT",
            AttributeScope.Instrumentation => "INSTRUMENTATION_DOT",
            _ => "DOT",
        },
        TokenKind.Structural => Text,
        _ => "IDENTIFIER",
    };
}
