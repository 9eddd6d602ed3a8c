namespace TraceLink.Query.PromQL.Parser;

internal readonly record struct Token(TokenKind Kind, int Pos, int Length, string Text);
