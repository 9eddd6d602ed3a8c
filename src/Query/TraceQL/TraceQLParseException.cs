namespace TraceLink.Query.TraceQL;

/// <summary>
/// A TraceQL query that cannot be parsed; <see cref="Exception.Message"/> reads like Tempo's
/// (<c>parse error at line 1, col 12: syntax error: unexpected CLOSE_BRACE</c>).
/// </summary>
public sealed class TraceQLParseException : Exception
{
    /// <summary>Creates the error for a 1-based line and column.</summary>
    public TraceQLParseException(int line, int column, string detail)
        : base($"parse error at line {line}, col {column}: {detail}")
    {
        Line = line;
        Column = column;
        Detail = detail;
    }

    /// <summary>Creates an error without position (required by CA1032).</summary>
    public TraceQLParseException()
        : this(1, 1, "syntax error")
    {
    }

    /// <summary>Creates an error without position (required by CA1032).</summary>
    public TraceQLParseException(string message)
        : this(1, 1, message)
    {
    }

    /// <summary>Creates an error without position (required by CA1032).</summary>
    public TraceQLParseException(string message, Exception innerException)
        : base(message, innerException)
    {
        Line = 1;
        Column = 1;
        Detail = message;
    }

    /// <summary>1-based line of the offending token.</summary>
    public int Line { get; }

    /// <summary>1-based column of the offending token.</summary>
    public int Column { get; }

    /// <summary>The message without the position prefix.</summary>
    public string Detail { get; }
}
