using System.Globalization;

using TraceLink.Query.PromQL.Parser;

namespace TraceLink.Query.PromQL.Api;

/// <summary>Prometheus HTTP API parameter parsing (web/api/v1 parseTime, parseDuration).</summary>
internal static class ApiParams
{
    /// <summary>Earliest time the API accepts, in ms (Prometheus MinTime).</summary>
    public const long MinTimeMs = -9223309901257974;

    /// <summary>Latest time the API accepts, in ms (Prometheus MaxTime).</summary>
    public const long MaxTimeMs = 9223309901257974;

    private const string MinTimeFormatted = "-292273086-05-16T16:47:06Z";
    private const string MaxTimeFormatted = "292277025-08-18T07:12:54.999999999Z";

    public static bool TryParseTime(string s, out long ms)
    {
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && !double.IsNaN(f) && !double.IsInfinity(f))
        {
            var sec = Math.Truncate(f);
            var frac = Math.Round((f - sec) * 1000) / 1000;
            var v = (sec * 1000) + Math.Round(frac * 1000);
            ms = v >= MaxTimeMs ? MaxTimeMs : v <= MinTimeMs ? MinTimeMs : (long)v;
            return true;
        }

        if (s == MinTimeFormatted)
        {
            ms = MinTimeMs;
            return true;
        }

        if (s == MaxTimeFormatted)
        {
            ms = MaxTimeMs;
            return true;
        }

        if (DateTimeOffset.TryParseExact(s, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var dto)
            || TryParseRfc3339Nano(s, out dto))
        {
            ms = dto.ToUnixTimeMilliseconds();
            return true;
        }

        ms = 0;
        return false;
    }

    // RFC 3339 allows up to nine fraction digits; .NET parses seven, so trim the rest.
    private static bool TryParseRfc3339Nano(string s, out DateTimeOffset dto)
    {
        var dot = s.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < s.Length && char.IsAsciiDigit(s[end]))
            {
                end++;
            }

            if (end - dot - 1 > 7)
            {
                s = s[..(dot + 8)] + s[end..];
            }
        }

        return DateTimeOffset.TryParseExact(s, "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", CultureInfo.InvariantCulture, DateTimeStyles.None, out dto);
    }

    public static bool TryParseDuration(string s, out long ms)
    {
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var f))
        {
            var v = f * 1000;
            if (double.IsNaN(v) || v >= long.MaxValue / 1_000_000 || v <= long.MinValue / 1_000_000)
            {
                ms = 0;
                return false;
            }

            ms = (long)Math.Round(v);
            return true;
        }

        return PromDuration.TryParse(s, out ms);
    }
}
