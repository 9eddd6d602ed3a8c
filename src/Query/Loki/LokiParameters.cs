using System.Globalization;

using Microsoft.AspNetCore.Http;

namespace TraceLink.Query.Loki;

/// <summary>Request parameter parsing with Loki's rules (pkg/loghttp/params.go).</summary>
internal static class LokiParameters
{
    /// <summary>A parameter from the query string or, for form POSTs, the body.</summary>
    public static async ValueTask<Func<string, string?>> ReaderAsync(HttpRequest request)
    {
        IFormCollection? form = null;
        if (request.HasFormContentType)
        {
            form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }

        return name =>
        {
            var value = request.Query[name];
            if (value.Count == 0 && form is not null)
            {
                value = form[name];
            }

            return value.Count == 0 ? null : value[0];
        };
    }

    /// <summary>
    /// Loki's timestamp rule: a value with a dot is float seconds; an integer of at most 10 digits is seconds,
    /// longer is nanoseconds; anything else must be RFC3339(Nano). Returns ns since the epoch.
    /// </summary>
    public static bool TryParseTimestamp(string? value, long defaultNs, out long ns, out string? error)
    {
        error = null;
        ns = defaultNs;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        if (value.Contains('.', StringComparison.Ordinal) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            var whole = Math.Truncate(seconds);
            var fraction = Math.Round((seconds - whole) * 1000) / 1000;
            ns = ((long)whole * 1_000_000_000) + (long)(fraction * 1e9);
            return true;
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            ns = value.TrimStart('-').Length <= 10 ? integer * 1_000_000_000 : integer;
            return true;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) && value.Contains('T', StringComparison.Ordinal))
        {
            ns = (time.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100;
            return true;
        }

        error = $"cannot parse \"{value}\" to a valid timestamp";
        return false;
    }

    /// <summary>A Prometheus duration (<c>1h30m</c>, <c>500ms</c>) or float seconds, in ns.</summary>
    public static bool TryParseDuration(string value, out long ns)
    {
        ns = 0;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            ns = (long)(seconds * 1e9);
            return true;
        }

        var position = 0;
        while (position < value.Length)
        {
            var start = position;
            while (position < value.Length && char.IsAsciiDigit(value[position]))
            {
                position++;
            }

            if (start == position || !long.TryParse(value.AsSpan(start, position - start), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
            {
                return false;
            }

            var unitStart = position;
            while (position < value.Length && char.IsAsciiLetter(value[position]))
            {
                position++;
            }

            long unit = value.AsSpan(unitStart, position - unitStart) switch
            {
                "ms" => 1_000_000L,
                "s" => 1_000_000_000L,
                "m" => 60_000_000_000L,
                "h" => 3_600_000_000_000L,
                "d" => 86_400_000_000_000L,
                "w" => 604_800_000_000_000L,
                "y" => 31_536_000_000_000_000L,
                _ => 0,
            };
            if (unit == 0)
            {
                return false;
            }

            ns += amount * unit;
        }

        return true;
    }
}
