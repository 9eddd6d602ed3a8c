using System.Buffers;
using System.Text.Json;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

using TraceLink.Query.PromQL.Engine;
using TraceLink.Query.PromQL.Parser;
using TraceLink.Storage.Metadata;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Api;

/// <summary>Maps the Prometheus HTTP query API (<c>/api/v1/query</c>, <c>query_range</c>, <c>series</c>, ...) over a series store.</summary>
public static class PrometheusApiExtensions
{
    private static readonly string[] GetPost = ["GET", "POST"];
    private static readonly string[] GetOnly = ["GET"];

    /// <summary>
    /// Maps the query, metadata, exemplar, status and format endpoints under <c>/api/v1</c>, answering with Prometheus's
    /// exact JSON and error envelope.
    /// </summary>
    /// <remarks>
    /// <c>/api/v1/metadata</c> answers from <paramref name="metadata"/> (remote-write and span-metrics metadata); without a
    /// store it answers an empty object, as a Prometheus without scrape targets does.
    /// </remarks>
    public static IEndpointRouteBuilder MapPrometheusApi(this IEndpointRouteBuilder app, ISeriesStore store, PromQLOptions? options = null, MetricMetadataStore? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var engine = new PromQLEngine(store, options);
        app.MapMethods("/api/v1/query", GetPost, ctx => Handle(ctx, f => Query(engine, f)));
        app.MapMethods("/api/v1/query_range", GetPost, ctx => Handle(ctx, f => QueryRange(engine, f)));
        app.MapMethods("/api/v1/series", GetPost, ctx => Handle(ctx, f => Series(store, f)));
        app.MapMethods("/api/v1/labels", GetPost, ctx => Handle(ctx, f => LabelNames(store, f)));
        app.MapMethods("/api/v1/label/{name}/values", GetOnly, ctx => Handle(ctx, f => LabelValues(store, f, (string)ctx.Request.RouteValues["name"]!)));
        app.MapMethods("/api/v1/metadata", GetOnly, ctx => Handle(ctx, f => Metadata(metadata, f)));
        app.MapMethods("/api/v1/query_exemplars", GetPost, ctx => Handle(ctx, f => Exemplars(store, f)));
        app.MapMethods("/api/v1/status/buildinfo", GetOnly, ctx => Handle(ctx, _ => Ok(BuildInfo)));
        app.MapMethods("/api/v1/format_query", GetPost, ctx => Handle(ctx, f => FormatQuery(f)));
        app.MapMethods("/api/v1/rules", GetOnly, ctx => Handle(ctx, _ => Ok(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("groups");
            w.WriteEndArray();
            w.WriteEndObject();
        })));
        app.MapMethods("/api/v1/alerts", GetOnly, ctx => Handle(ctx, _ => Ok(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("alerts");
            w.WriteEndArray();
            w.WriteEndObject();
        })));
        return app;
    }

    private sealed record Response(Action<Utf8JsonWriter> Data, IReadOnlyList<string> Warnings, IReadOnlyList<string> Infos, int Status = 200);

    private static Response Ok(Action<Utf8JsonWriter> data, IReadOnlyList<string>? warnings = null) => new(data, warnings ?? [], []);

    private sealed class Form(IQueryCollection query, IFormCollection? form)
    {
        public string? Get(string name)
        {
            if (form != null && form.TryGetValue(name, out var fv) && fv.Count > 0)
            {
                return fv[0];
            }

            return query.TryGetValue(name, out var qv) && qv.Count > 0 ? qv[0] : null;
        }

        public List<string> All(string name)
        {
            var r = new List<string>();
            if (form != null && form.TryGetValue(name, out var fv))
            {
                Add(r, fv);
            }

            if (query.TryGetValue(name, out var qv))
            {
                Add(r, qv);
            }

            return r;
        }

        private static void Add(List<string> r, StringValues v)
        {
            foreach (var s in v)
            {
                if (s != null)
                {
                    r.Add(s);
                }
            }
        }
    }

    private static async Task Handle(HttpContext ctx, Func<Form, Response> handler)
    {
        Response response;
        try
        {
            IFormCollection? form = null;
            if (ctx.Request.HasFormContentType)
            {
                form = await ctx.Request.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false);
            }

            response = handler(new Form(ctx.Request.Query, form));
        }
        catch (ApiError e)
        {
            await WriteError(ctx, e.Status, e.ErrorType, e.Message).ConfigureAwait(false);
            return;
        }
        catch (PromQLParseException e)
        {
            await WriteError(ctx, 400, "bad_data", "invalid parameter \"query\": " + e.Message).ConfigureAwait(false);
            return;
        }
        catch (PromQLException e)
        {
            var (status, type) = e.ErrorType switch
            {
                PromQLErrorType.Timeout => (503, "timeout"),
                PromQLErrorType.Canceled => (499, "canceled"),
                PromQLErrorType.BadData => (400, "bad_data"),
                _ => (422, "execution"),
            };
            await WriteError(ctx, status, type, e.Message).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(ctx, response.Status, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "success");
            w.WritePropertyName("data");
            response.Data(w);
            ApiJson.WriteAnnotations(w, "warnings", response.Warnings);
            ApiJson.WriteAnnotations(w, "infos", response.Infos);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static Task WriteError(HttpContext ctx, int status, string type, string message) =>
        WriteJsonAsync(ctx, status, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "error");
            w.WriteString("errorType", type);
            w.WriteString("error", message);
            w.WriteEndObject();
        });

    /// <summary>
    /// Streams the JSON into the response pipe: a large matrix goes out in pooled segments instead of one buffer that
    /// is copied on every doubling and ends up on the large-object heap.
    /// </summary>
    private static async Task WriteJsonAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(ctx.Response.BodyWriter);
        write(w);
        await w.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    private static long Time(Form f, string name, long dflt)
    {
        var s = f.Get(name);
        if (string.IsNullOrEmpty(s))
        {
            return dflt;
        }

        if (!ApiParams.TryParseTime(s, out var ms))
        {
            throw ApiError.InvalidParam(name, $"cannot parse \"{s}\" to a valid timestamp");
        }

        return ms;
    }

    private static TimeSpan? Timeout(Form f)
    {
        var s = f.Get("timeout");
        if (string.IsNullOrEmpty(s))
        {
            return null;
        }

        if (!ApiParams.TryParseDuration(s, out var ms))
        {
            throw ApiError.InvalidParam("timeout", $"cannot parse \"{s}\" to a valid duration");
        }

        return TimeSpan.FromMilliseconds(ms);
    }

    private static string RequireQuery(Form f)
    {
        var q = f.Get("query");
        if (string.IsNullOrEmpty(q))
        {
            throw ApiError.InvalidParam("query", "1:1: parse error: no expression found in input");
        }

        return q;
    }

    private static Response Result(QueryResult r) => new(w => ApiJson.WriteResult(w, r), r.Warnings, r.Infos);

    private static Response Query(PromQLEngine engine, Form f)
    {
        var q = RequireQuery(f);
        var t = Time(f, "time", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return Result(engine.Instant(q, t, Timeout(f)));
    }

    private static Response QueryRange(PromQLEngine engine, Form f)
    {
        var q = RequireQuery(f);
        var startStr = f.Get("start");
        var endStr = f.Get("end");
        var stepStr = f.Get("step");
        if (string.IsNullOrEmpty(startStr))
        {
            throw ApiError.InvalidParam("start", "cannot parse \"\" to a valid timestamp");
        }

        if (string.IsNullOrEmpty(endStr))
        {
            throw ApiError.InvalidParam("end", "cannot parse \"\" to a valid timestamp");
        }

        var start = Time(f, "start", 0);
        var end = Time(f, "end", 0);
        if (end < start)
        {
            throw ApiError.InvalidParam("end", "end timestamp must not be before start time");
        }

        if (string.IsNullOrEmpty(stepStr) || !ApiParams.TryParseDuration(stepStr, out var step))
        {
            throw ApiError.InvalidParam("step", $"cannot parse \"{stepStr}\" to a valid duration");
        }

        if (step <= 0)
        {
            throw ApiError.InvalidParam("step", "zero or negative query resolution step widths are not accepted. Try a positive integer");
        }

        if ((end - start) / step > 11000)
        {
            throw ApiError.BadData("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
        }

        return Result(engine.Range(q, start, end, step, Timeout(f)));
    }

    private static List<IReadOnlyList<LabelMatcher>> Matchers(Form f)
    {
        var r = new List<IReadOnlyList<LabelMatcher>>();
        foreach (var s in f.All("match[]"))
        {
            try
            {
                r.Add(PromQLParser.ParseSelector(s).Matchers);
            }
            catch (PromQLParseException e)
            {
                throw ApiError.InvalidParam("match[]", e.Message);
            }
        }

        return r;
    }

    private static int Limit(Form f)
    {
        var s = f.Get("limit");
        if (string.IsNullOrEmpty(s))
        {
            return 0;
        }

        if (!int.TryParse(s, out var l) || l < 0)
        {
            throw ApiError.InvalidParam("limit", "limit must be non-negative");
        }

        return l;
    }

    /// <summary>Prometheus's metricMetadata handler: <c>limit</c> counts families (negative: all), <c>limit_per_metric</c> entries.</summary>
    private static Response Metadata(MetricMetadataStore? store, Form f)
    {
        var limit = MetadataLimit(f, "limit");
        var limitPerMetric = MetadataLimit(f, "limit_per_metric");
        var families = store?.Query(limit, limitPerMetric, f.Get("metric")) ?? [];
        return Ok(w =>
        {
            w.WriteStartObject();
            foreach (var (name, entries) in families)
            {
                w.WriteStartArray(name);
                foreach (var e in entries)
                {
                    w.WriteStartObject();
                    w.WriteString("type", e.TypeName);
                    w.WriteString("help", e.Help);
                    w.WriteString("unit", e.Unit);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        });
    }

    private static int MetadataLimit(Form f, string name)
    {
        var s = f.Get(name);
        if (string.IsNullOrEmpty(s))
        {
            return -1;
        }

        if (!int.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l))
        {
            throw ApiError.BadData(name + " must be a number");
        }

        return l;
    }

    private static Response Series(ISeriesStore store, Form f)
    {
        var sets = Matchers(f);
        if (sets.Count == 0)
        {
            throw ApiError.BadData("no match[] parameter provided");
        }

        var start = Time(f, "start", ApiParams.MinTimeMs);
        var end = Time(f, "end", ApiParams.MaxTimeMs);
        var limit = Limit(f);
        var seen = new HashSet<Label[]>(LabelArrayComparer.Instance);
        var all = new List<Label[]>();
        foreach (var m in sets)
        {
            foreach (var s in store.Select(start, end, m))
            {
                var ls = Engine.Labels.FromList(s.Labels);
                if (seen.Add(ls))
                {
                    all.Add(ls);
                }
            }
        }

        all.Sort(Engine.Labels.Compare);
        List<string>? warnings = null;
        if (limit > 0 && all.Count > limit)
        {
            all.RemoveRange(limit, all.Count - limit);
            warnings = ["results truncated due to limit"];
        }

        return Ok(
            w =>
            {
                w.WriteStartArray();
                foreach (var ls in all)
                {
                    ApiJson.WriteLabels(w, ls);
                }

                w.WriteEndArray();
            },
            warnings);
    }

    private static Response Strings(List<string> values, int limit)
    {
        values.Sort(StringComparer.Ordinal);
        List<string>? warnings = null;
        if (limit > 0 && values.Count > limit)
        {
            values.RemoveRange(limit, values.Count - limit);
            warnings = ["results truncated due to limit"];
        }

        return Ok(
            w =>
            {
                w.WriteStartArray();
                foreach (var v in values)
                {
                    w.WriteStringValue(v);
                }

                w.WriteEndArray();
            },
            warnings);
    }

    private static Response LabelNames(ISeriesStore store, Form f)
    {
        var sets = Matchers(f);
        var start = Time(f, "start", ApiParams.MinTimeMs);
        var end = Time(f, "end", ApiParams.MaxTimeMs);
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (sets.Count == 0)
        {
            names.UnionWith(store.LabelNames(start, end, []));
        }

        foreach (var m in sets)
        {
            names.UnionWith(store.LabelNames(start, end, m));
        }

        return Strings([.. names], Limit(f));
    }

    private static Response LabelValues(ISeriesStore store, Form f, string name)
    {
        name = UnescapeName(name);
        if (!Evaluator.IsValidLabelName(name))
        {
            throw ApiError.BadData($"invalid label name: \"{name}\"");
        }

        var sets = Matchers(f);
        var start = Time(f, "start", ApiParams.MinTimeMs);
        var end = Time(f, "end", ApiParams.MaxTimeMs);
        var values = new HashSet<string>(StringComparer.Ordinal);
        if (sets.Count == 0)
        {
            values.UnionWith(store.LabelValues(name, start, end, []));
        }

        foreach (var m in sets)
        {
            values.UnionWith(store.LabelValues(name, start, end, m));
        }

        return Strings([.. values], Limit(f));
    }

    /// <summary>Undoes the <c>U__</c> escaping Grafana applies to UTF-8 label names.</summary>
    private static string UnescapeName(string name)
    {
        if (!name.StartsWith("U__", StringComparison.Ordinal))
        {
            return name;
        }

        var s = name[3..];
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != '_')
            {
                sb.Append(s[i]);
                continue;
            }

            if (i + 1 < s.Length && s[i + 1] == '_')
            {
                sb.Append('_');
                i++;
                continue;
            }

            var close = s.IndexOf('_', i + 1);
            if (close < 0 || !int.TryParse(s.AsSpan(i + 1, close - i - 1), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var cp))
            {
                return name;
            }

            sb.Append(char.ConvertFromUtf32(cp));
            i = close;
        }

        return sb.ToString();
    }

    private static void CollectSelectors(Expr e, List<VectorSelector> into)
    {
        switch (e)
        {
            case VectorSelector vs: into.Add(vs); break;
            case MatrixSelector ms: into.Add(ms.Selector); break;
            case SubqueryExpr sq: CollectSelectors(sq.Inner, into); break;
            case ParenExpr p: CollectSelectors(p.Inner, into); break;
            case UnaryExpr u: CollectSelectors(u.Operand, into); break;
            case BinaryExpr b:
                CollectSelectors(b.Lhs, into);
                CollectSelectors(b.Rhs, into);
                break;
            case AggregateExpr a:
                if (a.Param != null)
                {
                    CollectSelectors(a.Param, into);
                }

                CollectSelectors(a.Inner, into);
                break;
            case Call c:
                foreach (var a in c.Args)
                {
                    CollectSelectors(a, into);
                }

                break;
            default:
                break;
        }
    }

    private static Response Exemplars(ISeriesStore store, Form f)
    {
        var expr = PromQLParser.ParseExpr(RequireQuery(f));
        var start = Time(f, "start", ApiParams.MinTimeMs);
        var end = Time(f, "end", ApiParams.MaxTimeMs);
        if (end < start)
        {
            throw ApiError.InvalidParam("end", "end timestamp must not be before start timestamp");
        }

        var selectors = new List<VectorSelector>();
        CollectSelectors(expr, selectors);
        var groups = new List<(IReadOnlyList<Label> Series, IReadOnlyList<Exemplar> Exemplars)>();
        var seen = new HashSet<Label[]>(LabelArrayComparer.Instance);
        foreach (var vs in selectors)
        {
            foreach (var g in store.Exemplars(start, end, vs.Matchers))
            {
                if (seen.Add(Engine.Labels.FromList(g.Series)))
                {
                    groups.Add(g);
                }
            }
        }

        return Ok(w =>
        {
            w.WriteStartArray();
            foreach (var (series, exemplars) in groups)
            {
                w.WriteStartObject();
                w.WritePropertyName("seriesLabels");
                ApiJson.WriteLabels(w, series);
                w.WriteStartArray("exemplars");
                foreach (var e in exemplars)
                {
                    w.WriteStartObject();
                    w.WritePropertyName("labels");
                    ApiJson.WriteLabels(w, e.Labels);
                    w.WritePropertyName("value");
                    ApiJson.WriteFloat(w, e.Value);
                    w.WritePropertyName("timestamp");
                    ApiJson.WriteTimestamp(w, e.TimestampMs);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private static Response FormatQuery(Form f)
    {
        var expr = PromQLParser.ParseExpr(RequireQuery(f));
        var s = expr.ToString();
        return Ok(w => w.WriteStringValue(s));
    }

    private static void BuildInfo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("version", "2.50.1");
        w.WriteString("revision", "tracelink");
        w.WriteString("branch", "main");
        w.WriteString("buildUser", "tracelink");
        w.WriteString("buildDate", "20260101-00:00:00");
        w.WriteString("goVersion", "dotnet" + Environment.Version.ToString(3));
        w.WriteEndObject();
    }
}
