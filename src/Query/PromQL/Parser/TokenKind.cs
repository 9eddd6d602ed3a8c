namespace TraceLink.Query.PromQL.Parser;

/// <summary>PromQL lexical token kinds; binary and unary operators of the AST use these.</summary>
public enum TokenKind
{
    /// <summary>End of input.</summary>
    Eof,
    /// <summary>Identifier.</summary>
    Identifier,
    /// <summary>Identifier containing a colon.</summary>
    MetricIdentifier,
    /// <summary>Number.</summary>
    Number,
    /// <summary>Duration.</summary>
    Duration,
    /// <summary>String.</summary>
    String,
    /// <summary><c>(</c></summary>
    LeftParen,
    /// <summary><c>)</c></summary>
    RightParen,
    /// <summary><c>{</c></summary>
    LeftBrace,
    /// <summary><c>}</c></summary>
    RightBrace,
    /// <summary><c>[</c></summary>
    LeftBracket,
    /// <summary><c>]</c></summary>
    RightBracket,
    /// <summary><c>,</c></summary>
    Comma,
    /// <summary><c>:</c></summary>
    Colon,
    /// <summary><c>=</c></summary>
    Assign,
    /// <summary><c>@</c></summary>
    At,
    /// <summary><c>=~</c></summary>
    EqlRegex,
    /// <summary><c>!~</c></summary>
    NeqRegex,
    /// <summary><c>==</c></summary>
    Eql,
    /// <summary><c>!=</c></summary>
    Neq,
    /// <summary><c>&lt;</c></summary>
    Lss,
    /// <summary><c>&lt;=</c></summary>
    Lte,
    /// <summary><c>&gt;</c></summary>
    Gtr,
    /// <summary><c>&gt;=</c></summary>
    Gte,
    /// <summary><c>+</c></summary>
    Add,
    /// <summary><c>-</c></summary>
    Sub,
    /// <summary><c>*</c></summary>
    Mul,
    /// <summary><c>/</c></summary>
    Div,
    /// <summary><c>%</c></summary>
    Mod,
    /// <summary><c>^</c></summary>
    Pow,
    /// <summary><c>atan2</c></summary>
    Atan2,
    /// <summary><c>and</c></summary>
    And,
    /// <summary><c>or</c></summary>
    Or,
    /// <summary><c>unless</c></summary>
    Unless,
}
