using System.Globalization;
using System.Text;

namespace TraceLink.Query.PromQL.Parser;

/// <summary>Prometheus duration syntax (<c>1h30m</c>, <c>5m</c>, <c>100ms</c>), parsing and printing.</summary>
public static class PromDuration
{
    private static readonly (string Unit, long Ms)[] Units =
    [
        ("y", 365L * 24 * 3600 * 1000), ("w", 7L * 24 * 3600 * 1000), ("d", 24L * 3600 * 1000), ("h", 3600L * 1000),
        ("m", 60L * 1000), ("s", 1000L), ("ms", 1L),
    ];

    /// <summary>Parses a Prometheus duration in the order y w d h m s ms; "0" is accepted.</summary>
    public static bool TryParse(ReadOnlySpan<char> s, out long ms)
    {
        ms = 0;
        if (s.Length == 0)
        {
            return false;
        }

        if (s is "0")
        {
            return true;
        }

        var nextUnit = 0;
        var i = 0;
        var any = false;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }

            if (!long.TryParse(s[start..i], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return false;
            }

            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
            {
                i++;
            }

            var unit = s[unitStart..i];
            var found = -1;
            for (var u = nextUnit; u < Units.Length; u++)
            {
                if (unit.SequenceEqual(Units[u].Unit))
                {
                    found = u;
                    break;
                }
            }

            if (found < 0)
            {
                return false;
            }

            nextUnit = found + 1;
            ms = checked(ms + (n * Units[found].Ms));
            any = true;
        }

        return any;
    }

    /// <summary>Formats milliseconds the way Prometheus prints durations (<c>1h30m</c>, <c>0s</c>).</summary>
    public static string Format(long ms)
    {
        if (ms == 0)
        {
            return "0s";
        }

        var sb = new StringBuilder();
        if (ms < 0)
        {
            sb.Append('-');
            ms = -ms;
        }

        foreach (var (unit, size) in Units)
        {
            var n = ms / size;
            if (n > 0)
            {
                sb.Append(n.ToString(CultureInfo.InvariantCulture)).Append(unit);
                ms -= n * size;
            }
        }

        return sb.ToString();
    }
}
