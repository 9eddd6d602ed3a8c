using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

using TraceLink.Storage.Logs;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.Loki;

/// <summary>
/// Maps the Loki-compatible read API over the derived-log store, with Loki's JSON shapes, so Grafana's
/// Loki data source can query it: query_range, query, labels and label values.
/// </summary>
public static partial class LokiEndpoints
{
    private const string CategorizeLabels = "categorize-labels";
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Maps <c>/loki/api/v1/query_range</c>, <c>/loki/api/v1/query</c>, <c>/loki/api/v1/labels</c> and
    /// <c>/loki/api/v1/label/{name}/values</c> (GET and form POST) over <paramref name="store"/>.
    /// </summary>
    public static IEndpointRouteBuilder MapLokiApi(this IEndpointRouteBuilder endpoints, LogStore store, LokiOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(store);
        var settings = options ?? new LokiOptions();
        var time = timeProvider ?? TimeProvider.System;
        string[] methods = ["GET", "POST"];
        endpoints.MapMethods("/loki/api/v1/query_range", methods, context => QueryAsync(context, store, settings, time, instant: false));
        endpoints.MapMethods("/loki/api/v1/query", methods, context => QueryAsync(context, store, settings, time, instant: true));
        endpoints.MapMethods("/loki/api/v1/labels", methods, context => LabelsAsync(context, store, settings, time, null));
        endpoints.MapMethods("/loki/api/v1/label/{name}/values", methods, context => LabelsAsync(context, store, settings, time, (string?)context.GetRouteValue("name")));
        return endpoints;
    }

    private static async Task QueryAsync(HttpContext context, LogStore store, LokiOptions options, TimeProvider time, bool instant)
    {
        var get = await LokiParameters.ReaderAsync(context.Request);
        var nowNs = (time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100;
        var text = get("query") ?? string.Empty;

        long startNs, endNs;
        string? error;
        if (instant)
        {
            if (!LokiParameters.TryParseTimestamp(get("time"), nowNs, out endNs, out error))
            {
                await WriteErrorAsync(context, error!);
                return;
            }

            startNs = endNs - (long)(options.DefaultLookback.Ticks * 100);
        }
        else
        {
            if (!TryParseRange(get, nowNs, options.DefaultLookback, out startNs, out endNs, out error))
            {
                await WriteErrorAsync(context, error!);
                return;
            }

            if (endNs < startNs)
            {
                await WriteErrorAsync(context, "end timestamp must not be before or equal to start time");
                return;
            }
        }

        var limit = options.DefaultLimit;
        if (get("limit") is { } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit <= 0))
        {
            await WriteErrorAsync(context, "limit must be a positive value");
            return;
        }

        if (limit > options.MaxEntriesLimit)
        {
            await WriteErrorAsync(context, $"max entries limit per query exceeded, limit > max_entries_limit ({limit} > {options.MaxEntriesLimit})");
            return;
        }

        var direction = get("direction") ?? "backward";
        bool forward;
        if (direction.Equals("forward", StringComparison.OrdinalIgnoreCase))
        {
            forward = true;
        }
        else if (direction.Equals("backward", StringComparison.OrdinalIgnoreCase))
        {
            forward = false;
        }
        else
        {
            await WriteErrorAsync(context, $"invalid direction '{direction}'");
            return;
        }

        if (instant && TryEvaluateVector(text, out var vectorValue))
        {
            // Grafana's Loki health check runs "vector(1)+vector(1)" as an instant query and expects 2.
            await WriteVectorAsync(context, endNs, vectorValue);
            return;
        }

        var query = LogQlParser.Parse(text, out error);
        if (query is null)
        {
            await WriteErrorAsync(context, error!);
            return;
        }

        // Loki's range is [start, end): end is exclusive unless it equals start.
        var lastNs = endNs > startNs ? endNs - 1 : endNs;
        var entries = store.Select(query.Matchers, startNs, lastNs, forward, limit, query.Filters.Count == 0 ? null : query.Accepts, query.TraceIdHint());
        var categorize = context.Request.Headers["X-Loki-Response-Encoding-Flags"].ToString().Contains(CategorizeLabels, StringComparison.Ordinal);
        await WriteStreamsAsync(context, entries, categorize);
    }

    private static async Task LabelsAsync(HttpContext context, LogStore store, LokiOptions options, TimeProvider time, string? name)
    {
        var get = await LokiParameters.ReaderAsync(context.Request);
        var nowNs = (time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * 100;
        if (!TryParseRange(get, nowNs, options.DefaultLabelLookback, out var startNs, out var endNs, out var error))
        {
            await WriteErrorAsync(context, error!);
            return;
        }

        IReadOnlyList<string> values;
        if (name is null)
        {
            values = store.LabelNames(startNs, endNs);
        }
        else
        {
            IReadOnlyList<LabelMatcher> matchers = [];
            if (get("query") is { Length: > 0 } selector)
            {
                var query = LogQlParser.Parse(selector, out error);
                if (query is null)
                {
                    await WriteErrorAsync(context, error!);
                    return;
                }

                matchers = query.Matchers;
            }

            values = store.LabelValues(name, startNs, endNs, matchers);
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("status", "success");
            writer.WriteStartArray("data");
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        await WriteJsonAsync(context, buffer);
    }

    /// <summary><c>end</c> (default now), then <c>start</c> (default <c>end - since</c>, <c>since</c> defaulting to the lookback).</summary>
    private static bool TryParseRange(Func<string, string?> get, long nowNs, TimeSpan defaultLookback, out long startNs, out long endNs, out string? error)
    {
        startNs = 0;
        if (!LokiParameters.TryParseTimestamp(get("end"), nowNs, out endNs, out error))
        {
            return false;
        }

        var lookback = defaultLookback.Ticks * 100;
        if (get("since") is { } since && !LokiParameters.TryParseDuration(since, out lookback))
        {
            error = $"cannot parse \"{since}\" to a valid duration";
            return false;
        }

        return LokiParameters.TryParseTimestamp(get("start"), endNs - lookback, out startNs, out error);
    }

    private static async Task WriteStreamsAsync(HttpContext context, IReadOnlyList<LogEntry> entries, bool categorize)
    {
        // Loki groups by the full label set; without categorize-labels, structured metadata joins the stream labels.
        var groups = new Dictionary<string, (SortedDictionary<string, string> Labels, List<LogEntry> Entries)>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var entry in entries)
        {
            var key = categorize ? entry.Stream.Key : entry.Stream.Key + "|" + entry.TraceId + "|" + entry.SpanId;
            if (!groups.TryGetValue(key, out var group))
            {
                var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
                foreach (var label in entry.Stream.Labels)
                {
                    labels[label.Name] = label.Value;
                }

                if (!categorize)
                {
                    AddMetadata(labels, entry);
                }

                group = (labels, []);
                groups.Add(key, group);
                order.Add(key);
            }

            group.Entries.Add(entry);
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("status", "success");
            writer.WriteStartObject("data");
            writer.WriteString("resultType", "streams");
            writer.WriteStartArray("result");
            foreach (var key in order)
            {
                var (labels, streamEntries) = groups[key];
                writer.WriteStartObject();
                writer.WriteStartObject("stream");
                foreach (var (name, value) in labels)
                {
                    writer.WriteString(name, value);
                }

                writer.WriteEndObject();
                writer.WriteStartArray("values");
                foreach (var entry in streamEntries)
                {
                    writer.WriteStartArray();
                    writer.WriteStringValue(entry.TimestampNs.ToString(CultureInfo.InvariantCulture));
                    writer.WriteStringValue(entry.Line);
                    if (categorize && (entry.TraceId.Length > 0 || entry.SpanId.Length > 0))
                    {
                        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
                        AddMetadata(metadata, entry);
                        writer.WriteStartObject();
                        writer.WriteStartObject("structuredMetadata");
                        foreach (var (name, value) in metadata)
                        {
                            writer.WriteString(name, value);
                        }

                        writer.WriteEndObject();
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartObject("stats");
            writer.WriteEndObject();
            if (categorize)
            {
                writer.WriteStartArray("encodingFlags");
                writer.WriteStringValue(CategorizeLabels);
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        await WriteJsonAsync(context, buffer);
    }

    private static void AddMetadata(SortedDictionary<string, string> labels, LogEntry entry)
    {
        if (entry.TraceId.Length > 0)
        {
            labels["trace_id"] = entry.TraceId;
        }

        if (entry.SpanId.Length > 0)
        {
            labels["span_id"] = entry.SpanId;
        }
    }

    private static async Task WriteVectorAsync(HttpContext context, long timeNs, double value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("status", "success");
            writer.WriteStartObject("data");
            writer.WriteString("resultType", "vector");
            writer.WriteStartArray("result");
            writer.WriteStartObject();
            writer.WriteStartObject("metric");
            writer.WriteEndObject();
            writer.WriteStartArray("value");
            writer.WriteNumberValue(timeNs / 1e9);
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteStartObject("stats");
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        await WriteJsonAsync(context, buffer);
    }

    /// <summary>The only metric queries served: sums of <c>vector(n)</c> literals, enough for Grafana's health check.</summary>
    private static bool TryEvaluateVector(string text, out double value)
    {
        value = 0;
        var match = VectorSum().Match(text);
        if (!match.Success)
        {
            return false;
        }

        foreach (Capture capture in match.Groups["n"].Captures)
        {
            value += double.Parse(capture.Value, CultureInfo.InvariantCulture);
        }

        return true;
    }

    private static async Task WriteJsonAsync(HttpContext context, ArrayBufferWriter<byte> buffer)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    /// <summary>Loki answers bad queries with 400 and the message as plain text (pkg/util/server/error.go).</summary>
    private static async Task WriteErrorAsync(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await context.Response.WriteAsync(message, context.RequestAborted);
    }

    [GeneratedRegex(@"^\s*vector\(\s*(?<n>-?[0-9]+(?:\.[0-9]+)?)\s*\)(?:\s*\+\s*vector\(\s*(?<n>-?[0-9]+(?:\.[0-9]+)?)\s*\))*\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex VectorSum();
}
