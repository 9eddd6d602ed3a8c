using System.Globalization;
using System.Text.RegularExpressions;

using Google.Protobuf;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Server.Tests.Explorer;

/// <summary>
/// Serves the Explorer plus the API responses the page reads, in exactly the documented shapes
/// (shared/contracts/tempo.md §2.2/2.4, prometheus.md §5.4, Loki streams), computed from the ingested OTLP.
/// The fixture uses it only while the real <c>tracelink</c> process of this build does not yet serve the
/// Explorer and every API the page reads (it says which part is missing in the test output).
/// Prometheus queries answer empty results here: only exemplars are derived.
/// </summary>
internal sealed partial class DocumentedShapesBackend : IExplorerBackend
{
    private readonly List<ResourceSpans> _batches = [];
    private readonly Lock _gate = new();
    private ExplorerHost _host = null!;

    public Uri BaseAddress => _host.BaseAddress;

    public bool ServesLogs => true;

    public string Description => $"the Explorer with documented-shape API responses at {BaseAddress}";

    public static async Task<DocumentedShapesBackend> StartAsync()
    {
        var backend = new DocumentedShapesBackend();
        backend._host = await ExplorerHost.StartAsync(app =>
        {
            app.MapGet("/api/v2/traces/{id}", (string id) => backend.Trace(id));
            app.MapGet("/api/search", backend.Search);
            app.MapGet("/api/v2/search/tag/{tag}/values", backend.TagValues);
            app.MapGet("/api/v1/query", () => Results.Text("""{"status":"success","data":{"resultType":"vector","result":[]}}""", "application/json"));
            app.MapGet("/api/v1/query_range", () => Results.Text("""{"status":"success","data":{"resultType":"matrix","result":[]}}""", "application/json"));
            app.MapGet("/api/v1/label/{name}/values", () => Results.Text("""{"status":"success","data":[]}""", "application/json"));
            app.MapGet("/api/v1/query_exemplars", (string query) => backend.Exemplars(query));
            app.MapGet("/loki/api/v1/query_range", (string query) => backend.Logs(query));
        });
        return backend;
    }

    public Task IngestAsync(ExportTraceServiceRequest request)
    {
        lock (_gate)
        {
            _batches.AddRange(request.ResourceSpans);
        }

        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private List<(ResourceSpans Batch, Span Span)> Spans(Func<string, Span, bool> keep)
    {
        var list = new List<(ResourceSpans, Span)>();
        lock (_gate)
        {
            foreach (var batch in _batches)
            {
                var service = ServiceOf(batch);
                foreach (var span in batch.ScopeSpans.SelectMany(s => s.Spans))
                {
                    if (keep(service, span))
                    {
                        list.Add((batch, span));
                    }
                }
            }
        }

        return list;
    }

    private IResult Trace(string id)
    {
        var hex = id.ToLowerInvariant().PadLeft(32, '0');
        var data = new TracesData();
        foreach (var group in Spans((_, s) => Hex(s.TraceId) == hex).GroupBy(x => x.Batch))
        {
            var copy = new ResourceSpans { Resource = group.Key.Resource, ScopeSpans = { new ScopeSpans { Scope = group.Key.ScopeSpans[0].Scope } } };
            copy.ScopeSpans[0].Spans.Add(group.Select(x => x.Span));
            data.ResourceSpans.Add(copy);
        }

        // Proto3 canonical JSON, as Tempo writes it: base64 ids, 64-bit numbers as strings, enum names.
        return Results.Text("{\"trace\":" + JsonFormatter.Default.Format(data) + "}", "application/json");
    }

    private IResult Search()
    {
        var traces = Spans((_, _) => true).GroupBy(x => Hex(x.Span.TraceId)).Select(g =>
        {
            var root = g.FirstOrDefault(x => x.Span.ParentSpanId.IsEmpty);
            var start = g.Min(x => x.Span.StartTimeUnixNano);
            var end = g.Max(x => x.Span.EndTimeUnixNano);
            return new
            {
                traceID = g.Key.TrimStart('0'),
                rootServiceName = root.Batch is null ? "<root span not yet received>" : ServiceOf(root.Batch),
                rootTraceName = root.Span?.Name,
                startTimeUnixNano = start.ToString(CultureInfo.InvariantCulture),
                durationMs = (uint)((end - start) / 1_000_000),
                spanSets = new[] { new { spans = Array.Empty<object>(), matched = g.Count() } },
            };
        }).OrderByDescending(t => ulong.Parse(t.startTimeUnixNano, CultureInfo.InvariantCulture)).ToList();
        return Results.Json(new { traces, metrics = new { inspectedTraces = traces.Count } });
    }

    private IResult TagValues(string tag)
    {
        var values = tag == "resource.service.name"
            ? Spans((_, _) => true).Select(x => ServiceOf(x.Batch)).Distinct().Select(v => new { type = "string", value = v }).ToArray()
            : [];
        return Results.Json(new { tagValues = values });
    }

    private IResult Exemplars(string query)
    {
        var service = ServiceMatcher().Match(query) is { Success: true } m ? m.Groups[1].Value : null;
        var groups = Spans((svc, s) => s.Kind == Span.Types.SpanKind.Server && (service is null || svc == service))
            .GroupBy(x => (Service: ServiceOf(x.Batch), x.Span.Name, x.Span.Kind, x.Span.Status.Code))
            .Select(g => new
            {
                seriesLabels = new Dictionary<string, string>
                {
                    ["__name__"] = "traces_spanmetrics_duration_seconds",
                    ["service_name"] = g.Key.Service,
                    ["span_name"] = g.Key.Name,
                    ["span_kind"] = "SPAN_KIND_SERVER",
                    ["status_code"] = g.Key.Code == Status.Types.StatusCode.Error ? "STATUS_CODE_ERROR" : "STATUS_CODE_UNSET",
                },
                exemplars = g.Select(x => new
                {
                    labels = new { trace_id = Hex(x.Span.TraceId) },
                    value = ((x.Span.EndTimeUnixNano - x.Span.StartTimeUnixNano) / 1e9).ToString("R", CultureInfo.InvariantCulture),
                    timestamp = Math.Round(x.Span.EndTimeUnixNano / 1e9, 3),
                }).ToArray(),
            }).ToArray();
        return Results.Json(new { status = "success", data = groups });
    }

    private IResult Logs(string query)
    {
        var service = ServiceMatcher().Match(query).Groups[1].Value;
        var traceId = TraceIdFilter().Match(query).Groups[1].Value;
        var streams = Spans((svc, s) => svc == service && Hex(s.TraceId) == traceId)
            .GroupBy(x => x.Span.Status.Code == Status.Types.StatusCode.Error ? "error" : "info")
            .Select(g => new
            {
                stream = new Dictionary<string, string> { ["service_name"] = service, ["level"] = g.Key },
                values = g.OrderBy(x => x.Span.StartTimeUnixNano).Select(x => new[]
                {
                    x.Span.StartTimeUnixNano.ToString(CultureInfo.InvariantCulture),
                    $"level={g.Key} trace_id={traceId} span_id={Hex(x.Span.SpanId)} msg=\"{x.Span.Name}\" duration_ms={(x.Span.EndTimeUnixNano - x.Span.StartTimeUnixNano) / 1_000_000}",
                }).ToArray(),
            }).ToArray();
        return Results.Json(new { status = "success", data = new { resultType = "streams", result = streams } });
    }

    private static string ServiceOf(ResourceSpans batch) =>
        batch.Resource.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value.StringValue ?? "unknown";

    private static string Hex(ByteString id) => Convert.ToHexStringLower(id.Span);

    [GeneratedRegex("service_name=\"([^\"]*)\"")]
    private static partial Regex ServiceMatcher();

    [GeneratedRegex("trace_id=([0-9a-f]+)")]
    private static partial Regex TraceIdFilter();
}
