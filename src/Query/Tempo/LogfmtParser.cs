using System.Text;

namespace TraceLink.Query.Tempo;

/// <summary>Parses the logfmt <c>tags</c> parameter of legacy search (<c>service.name=cart name="GET /x"</c>).</summary>
internal static class LogfmtParser
{
    /// <summary>Parses pairs in order; on failure returns false with a message.</summary>
    public static bool TryParse(string text, List<KeyValuePair<string, string>> pairs, out string? error)
    {
        error = null;
        var i = 0;
        while (true)
        {
            while (i < text.Length && (text[i] == ' ' || text[i] == '\t'))
            {
                i++;
            }

            if (i >= text.Length)
            {
                return true;
            }

            var keyStart = i;
            while (i < text.Length && text[i] > ' ' && text[i] != '=' && text[i] != '"')
            {
                i++;
            }

            if (i == keyStart)
            {
                error = $"unexpected '{text[i]}' at position {i + 1}";
                return false;
            }

            var key = text[keyStart..i];
            if (i >= text.Length || text[i] != '=')
            {
                // A bare key: logfmt reads it as a key with an empty value.
                pairs.Add(new(key, string.Empty));
                continue;
            }

            i++;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var builder = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        error = "unterminated quoted value";
                        return false;
                    }

                    var c = text[i++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\' && i < text.Length)
                    {
                        c = text[i++] switch
                        {
                            'n' => '\n',
                            't' => '\t',
                            'r' => '\r',
                            var other => other,
                        };
                    }

                    builder.Append(c);
                }

                value = builder.ToString();
            }
            else
            {
                var valueStart = i;
                while (i < text.Length && text[i] > ' ')
                {
                    i++;
                }

                value = text[valueStart..i];
            }

            pairs.Add(new(key, value));
        }
    }
}
