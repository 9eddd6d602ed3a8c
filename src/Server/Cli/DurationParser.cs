using System.Globalization;

namespace TraceLink.Server.Cli;

/// <summary>Parses Prometheus-style durations such as <c>7d</c>, <c>1h30m</c>, <c>500ms</c>.</summary>
internal static class DurationParser
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var i = 0;
        if (text.Length == 0)
        {
            return false;
        }

        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || !long.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetterLower(text[i]))
            {
                i++;
            }

            TimeSpan unit;
            switch (text.AsSpan(unitStart, i - unitStart))
            {
                case "ms": unit = TimeSpan.FromMilliseconds(1); break;
                case "s": unit = TimeSpan.FromSeconds(1); break;
                case "m": unit = TimeSpan.FromMinutes(1); break;
                case "h": unit = TimeSpan.FromHours(1); break;
                case "d": unit = TimeSpan.FromDays(1); break;
                case "w": unit = TimeSpan.FromDays(7); break;
                case "y": unit = TimeSpan.FromDays(365); break;
                default: return false;
            }

            duration += unit * value;
        }

        return true;
    }
}
