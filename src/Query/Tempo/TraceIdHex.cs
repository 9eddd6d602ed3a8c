namespace TraceLink.Query.Tempo;

/// <summary>Tempo's trace-id text rules: 1-32 hex characters, left-padded to 16 bytes; output trims leading zeros.</summary>
internal static class TraceIdHex
{
    /// <summary>Parses <paramref name="text"/> into 16 bytes; on failure returns Tempo's error message.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, Span<byte> traceId, out string? error)
    {
        error = null;
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsAsciiHexDigit(text[i]))
            {
                error = $"trace IDs can only contain hex characters: invalid character '{text[i]}' at position {i + 1}";
                return false;
            }
        }

        if (text.IsEmpty)
        {
            error = "trace IDs can only contain hex characters: empty trace id";
            return false;
        }

        if ((text.Length + 1) / 2 > 16)
        {
            error = "trace IDs can't be larger than 128 bits";
            return false;
        }

        traceId.Clear();

        // Walk from the last character so odd lengths get their implicit leading zero nibble.
        var index = 15;
        for (var i = text.Length - 1; i >= 0; i -= 2)
        {
            var low = HexValue(text[i]);
            var high = i > 0 ? HexValue(text[i - 1]) : 0;
            traceId[index--] = (byte)((high << 4) | low);
        }

        return true;
    }

    /// <summary>Lowercase hex with leading zeros trimmed, as Tempo's search results print it.</summary>
    public static string ToTrimmedHex(ReadOnlySpan<byte> traceId)
    {
        var hex = Convert.ToHexStringLower(traceId);
        var trimmed = hex.TrimStart('0');
        return trimmed.Length == 0 ? "0" : trimmed;
    }

    /// <summary>Span ids: 16 lowercase hex characters, zero-padded.</summary>
    public static string SpanIdToHex(ReadOnlySpan<byte> spanId)
    {
        var hex = Convert.ToHexStringLower(spanId);
        return hex.Length >= 16 ? hex : hex.PadLeft(16, '0');
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
