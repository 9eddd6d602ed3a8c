using System.Globalization;

namespace TraceLink.Query.TraceQL;

/// <summary>
/// Parses Go durations (<c>1h30m</c>, <c>1.5s</c>, <c>250ms</c>, <c>10us</c>) and, when allowed, the Prometheus
/// units <c>d</c>, <c>w</c>, <c>y</c> that TraceQL also accepts.
/// </summary>
internal static class DurationParser
{
    private const long Microsecond = 1_000;
    private const long Millisecond = 1_000_000;
    private const long Second = 1_000_000_000;
    private const long Minute = 60 * Second;
    private const long Hour = 60 * Minute;
    private const long Day = 24 * Hour;

    /// <summary>Parses <paramref name="text"/> into nanoseconds; false when it is not a duration.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, bool allowPrometheusUnits, out long nanoseconds)
    {
        nanoseconds = 0;
        if (text.IsEmpty)
        {
            return false;
        }

        var negative = false;
        if (text[0] is '-' or '+')
        {
            negative = text[0] == '-';
            text = text[1..];
        }

        if (text.SequenceEqual("0"))
        {
            return true;
        }

        if (text.IsEmpty)
        {
            return false;
        }

        double total = 0;
        while (!text.IsEmpty)
        {
            var numberLength = 0;
            var sawDigit = false;
            while (numberLength < text.Length && (char.IsAsciiDigit(text[numberLength]) || text[numberLength] == '.'))
            {
                sawDigit |= char.IsAsciiDigit(text[numberLength]);
                numberLength++;
            }

            if (!sawDigit
                || !double.TryParse(text[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            text = text[numberLength..];
            var unitLength = 0;
            while (unitLength < text.Length && !char.IsAsciiDigit(text[unitLength]) && text[unitLength] != '.')
            {
                unitLength++;
            }

            long unit;
            switch (text[..unitLength])
            {
                case "ns": unit = 1; break;
                case "us" or "µs" or "μs": unit = Microsecond; break;
                case "ms": unit = Millisecond; break;
                case "s": unit = Second; break;
                case "m": unit = Minute; break;
                case "h": unit = Hour; break;
                case "d" when allowPrometheusUnits: unit = Day; break;
                case "w" when allowPrometheusUnits: unit = 7 * Day; break;
                case "y" when allowPrometheusUnits: unit = 365 * Day; break;
                default: return false;
            }

            total += number * unit;
            text = text[unitLength..];
        }

        if (total > long.MaxValue)
        {
            return false;
        }

        nanoseconds = negative ? -(long)total : (long)total;
        return true;
    }

    /// <summary>Formats nanoseconds like Go's <c>time.Duration.String()</c> (<c>1.5s</c>, <c>250ms</c>, <c>1h0m0s</c>).</summary>
    public static string Format(long nanoseconds)
    {
        if (nanoseconds == 0)
        {
            return "0s";
        }

        var sign = nanoseconds < 0 ? "-" : string.Empty;
        var value = nanoseconds < 0 ? -(decimal)nanoseconds : nanoseconds;
        if (value < Second)
        {
            return value < Microsecond ? sign + value.ToString(CultureInfo.InvariantCulture) + "ns"
                : value < Millisecond ? sign + (value / Microsecond).ToString(CultureInfo.InvariantCulture) + "µs"
                : sign + (value / Millisecond).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var hours = decimal.Floor(value / Hour);
        value -= hours * Hour;
        var minutes = decimal.Floor(value / Minute);
        value -= minutes * Minute;
        var seconds = (value / Second).ToString(CultureInfo.InvariantCulture) + "s";
        return hours > 0 ? $"{sign}{hours}h{minutes}m{seconds}"
            : minutes > 0 ? $"{sign}{minutes}m{seconds}"
            : sign + seconds;
    }
}
