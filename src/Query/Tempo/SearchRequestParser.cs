using System.Globalization;

using Microsoft.AspNetCore.Http;

using TraceLink.Query.TraceQL;

namespace TraceLink.Query.Tempo;

/// <summary>
/// Validates <c>/api/search</c> parameters with Tempo's rules and messages (contract section 3): start/end in
/// Unix seconds (uint32), <c>limit</c>, <c>spss</c>, Go-duration <c>minDuration</c>/<c>maxDuration</c>, and
/// either logfmt <c>tags</c> or TraceQL <c>q</c>.
/// </summary>
internal static class SearchRequestParser
{
    private const long NanosPerSecond = 1_000_000_000;

    public static bool TryParse(IQueryCollection query, TempoApiOptions options, out SearchParameters? parameters, out string? error)
    {
        parameters = null;
        string q = query["q"].ToString();
        string tags = query["tags"].ToString();
        if (q.Length > 0 && tags.Length > 0)
        {
            error = "invalid request: can't specify tags and q in the same query";
            return false;
        }

        if (!TryParseRange(query, options, out var from, out var to, out error))
        {
            return false;
        }

        var limit = options.DefaultLimit;
        if (query.TryGetValue("limit", out var limitText) && limitText.ToString().Length > 0)
        {
            if (!uint.TryParse(limitText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                error = $"invalid limit: strconv.Atoi: parsing \"{limitText}\": invalid syntax";
                return false;
            }

            if (parsed == 0)
            {
                error = "invalid limit: must be a positive number";
                return false;
            }

            if (parsed > options.MaxLimit)
            {
                error = $"limit {parsed} exceeds max limit {options.MaxLimit}";
                return false;
            }

            limit = (int)parsed;
        }

        var spss = options.DefaultSpansPerSpanSet;
        if (query.TryGetValue("spss", out var spssText) && spssText.ToString().Length > 0)
        {
            if (!uint.TryParse(spssText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                error = $"invalid spss: strconv.Atoi: parsing \"{spssText}\": invalid syntax";
                return false;
            }

            if (parsed > options.MaxSpansPerSpanSet)
            {
                error = $"spans per span set exceeds {options.MaxSpansPerSpanSet}. received {parsed}";
                return false;
            }

            if (parsed > 0)
            {
                spss = (int)parsed;
            }
        }

        if (!TryParseDuration(query, "minDuration", out var minDuration, out error)
            || !TryParseDuration(query, "maxDuration", out var maxDuration, out error))
        {
            return false;
        }

        if (maxDuration > 0 && maxDuration < minDuration)
        {
            error = "invalid maxDuration: must be greater than minDuration";
            return false;
        }

        TraceQLQuery traceQuery;
        if (tags.Length > 0)
        {
            var pairs = new List<KeyValuePair<string, string>>();
            if (!LogfmtParser.TryParse(tags, pairs, out var tagsError))
            {
                error = "invalid tags: " + tagsError;
                return false;
            }

            traceQuery = TagQuery.Build(pairs);
        }
        else
        {
            try
            {
                traceQuery = TraceQLParser.Parse(q.Length == 0 ? "{}" : q);
            }
            catch (TraceQLParseException e)
            {
                error = "invalid TraceQL query: " + e.Message;
                return false;
            }
        }

        parameters = new SearchParameters(traceQuery, from, to, limit, spss, minDuration, maxDuration);
        return true;
    }

    /// <summary>
    /// Reads <c>start</c>/<c>end</c> (Unix seconds). Without them the window is the last
    /// <see cref="TempoApiOptions.DefaultSearchWindow"/>; <c>end</c> includes its whole second.
    /// </summary>
    public static bool TryParseRange(IQueryCollection query, TempoApiOptions options, out long fromUnixNano, out long toUnixNano, out string? error)
    {
        fromUnixNano = 0;
        toUnixNano = 0;
        if (!TryParseSeconds(query, "start", out var start, out error) || !TryParseSeconds(query, "end", out var end, out error))
        {
            return false;
        }

        var nowNano = options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds() * 1_000_000;
        var windowNano = options.DefaultSearchWindow.Ticks * 100;
        if (start == 0 && end == 0)
        {
            toUnixNano = nowNano;
            fromUnixNano = Math.Max(0, nowNano - windowNano);
            return true;
        }

        if (end == 0)
        {
            end = (uint)Math.Min(uint.MaxValue, nowNano / NanosPerSecond);
        }

        if (end <= start)
        {
            error = $"http parameter start must be before end. received start={start} end={end}";
            return false;
        }

        if (options.MaxSearchWindow > TimeSpan.Zero && TimeSpan.FromSeconds(end - start) > options.MaxSearchWindow)
        {
            error = $"range specified by start and end exceeds {DurationParser.Format(options.MaxSearchWindow.Ticks * 100)}. received start={start} end={end}";
            return false;
        }

        fromUnixNano = start * NanosPerSecond;
        toUnixNano = (end * NanosPerSecond) + (NanosPerSecond - 1);
        return true;
    }

    private static bool TryParseSeconds(IQueryCollection query, string name, out long seconds, out string? error)
    {
        seconds = 0;
        error = null;
        if (!query.TryGetValue(name, out var values) || values.ToString().Length == 0)
        {
            return true;
        }

        var text = values.ToString();
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            error = $"invalid {name}: strconv.ParseUint: parsing \"{text}\": invalid syntax";
            return false;
        }

        if (parsed > uint.MaxValue)
        {
            error = $"invalid {name}: strconv.ParseUint: parsing \"{text}\": value out of range";
            return false;
        }

        seconds = (long)parsed;
        return true;
    }

    private static bool TryParseDuration(IQueryCollection query, string name, out long nanoseconds, out string? error)
    {
        nanoseconds = 0;
        error = null;
        if (!query.TryGetValue(name, out var values) || values.ToString().Length == 0)
        {
            return true;
        }

        var text = values.ToString();
        if (!DurationParser.TryParse(text, allowPrometheusUnits: false, out nanoseconds) || nanoseconds < 0)
        {
            error = $"invalid {name}: time: invalid duration \"{text}\"";
            return false;
        }

        return true;
    }
}
