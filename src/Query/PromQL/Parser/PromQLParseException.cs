namespace TraceLink.Query.PromQL.Parser;

/// <summary>A PromQL parse error; the message reads like Prometheus's (<c>1:5: parse error: ...</c>).</summary>
public sealed class PromQLParseException : Exception
{
    /// <summary>Creates the exception for a position in <paramref name="query"/>.</summary>
    public PromQLParseException(string query, int position, string detail)
        : base(Format(query, position, detail))
    {
        Position = position;
        Detail = detail;
    }

    /// <summary>Creates an empty exception.</summary>
    public PromQLParseException() => Detail = string.Empty;

    /// <summary>Creates an exception with a message.</summary>
    public PromQLParseException(string message) : base(message) => Detail = message;

    /// <summary>Creates an exception with a message and cause.</summary>
    public PromQLParseException(string message, Exception inner) : base(message, inner) => Detail = message;

    /// <summary>Zero-based character offset of the error.</summary>
    public int Position { get; }

    /// <summary>The message without the position prefix.</summary>
    public string Detail { get; }

    private static string Format(string query, int position, string detail)
    {
        var line = 1;
        var col = 1;
        for (var i = 0; i < position && i < query.Length; i++)
        {
            if (query[i] == '\n')
            {
                line++;
                col = 1;
            }
            else
            {
                col++;
            }
        }

        return $"{line}:{col}: parse error: {detail}";
    }
}
