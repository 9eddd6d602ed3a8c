using System.Globalization;
using System.Net;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using TraceLink.Server.Tests.Support;

namespace TraceLink.Server.Tests;

/// <summary>
/// Spans sent over OTLP become RED metrics (PromQL), exemplars that open traces, and derived log lines (Loki API),
/// all served by the same running server.
/// </summary>
public sealed class SignalsEndToEndTests : IAsyncLifetime, IDisposable
{
    private const string Service = "checkout";
    private readonly string _data = Directory.CreateTempSubdirectory("tracelink-signals-").FullName;
    private readonly Dictionary<string, List<double>> _durations = new() { ["GET /cart"] = [], ["POST /pay"] = [] };
    private ServerProcess _server = null!;
    private HttpClient _http = null!;
    private string _slowestTraceId = string.Empty;
    private string _errorTraceId = string.Empty;
    private long _start;

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(_data, "--metrics-flush-interval", "1s");
        _http = new HttpClient { BaseAddress = _server.BaseAddress };
        _start = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5;
        var random = new Random(7);
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000UL;
        double slowest = 0;
        for (var batch = 0; batch < 10; batch++)
        {
            var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "test" } };
            for (var i = 0; i < 50; i++)
            {
                var name = i % 3 == 0 ? "POST /pay" : "GET /cart";
                var seconds = name == "POST /pay" ? 0.05 + random.NextDouble() * 0.4 : 0.001 + random.NextDouble() * 0.02;
                var traceId = new byte[16];
                random.NextBytes(traceId);
                var spanId = new byte[8];
                random.NextBytes(spanId);
                var error = batch == 3 && i == 7;
                scope.Spans.Add(new Span
                {
                    TraceId = ByteString.CopyFrom(traceId),
                    SpanId = ByteString.CopyFrom(spanId),
                    Name = name,
                    Kind = Span.Types.SpanKind.Server,
                    StartTimeUnixNano = now,
                    EndTimeUnixNano = now + (ulong)(seconds * 1e9),
                    Status = new Status { Code = error ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Unset },
                });
                _durations[name].Add(seconds);
                if (seconds > slowest)
                {
                    slowest = seconds;
                    _slowestTraceId = Convert.ToHexStringLower(traceId);
                }

                if (error)
                {
                    _errorTraceId = Convert.ToHexStringLower(traceId);
                }
            }

            var request = new ExportTraceServiceRequest();
            request.ResourceSpans.Add(new ResourceSpans
            {
                Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = Service } } } },
                ScopeSpans = { scope },
            });
            using var response = await OtlpBatches.PostAsync(_http, request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Wait until a flush has written every call.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await QueryScalarAsync("sum(traces_spanmetrics_calls_total)") < 500)
        {
            Assert.True(DateTime.UtcNow < deadline, "span metrics were not flushed within 30 s");
            await Task.Delay(500);
        }
    }

    public void Dispose() => _http.Dispose();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task Calls_per_span_name_match_the_spans_sent()
    {
        foreach (var (name, durations) in _durations)
        {
            Assert.Equal(durations.Count, await QueryScalarAsync($"sum(traces_spanmetrics_calls_total{{span_name=\"{name}\"}})"));
            Assert.Equal(durations.Count, await QueryScalarAsync($"histogram_count(sum(traces_spanmetrics_duration_seconds{{span_name=\"{name}\"}}))"));
            Assert.Equal(durations.Sum(), await QueryScalarAsync($"histogram_sum(sum(traces_spanmetrics_duration_seconds{{span_name=\"{name}\"}}))"), 6);
        }
    }

    [Fact]
    public async Task Histogram_quantile_of_the_native_histogram_is_within_one_bucket_of_the_true_p99()
    {
        foreach (var (name, durations) in _durations)
        {
            var sorted = durations.Order().ToList();
            var truth = sorted[(int)Math.Ceiling(0.99 * sorted.Count) - 1];
            var estimate = await QueryScalarAsync($"histogram_quantile(0.99, sum(traces_spanmetrics_duration_seconds{{span_name=\"{name}\"}}))");
            // Schema 3 buckets grow by 2^(1/8) ≈ 9%: the estimate lies in the bucket holding the true value.
            Assert.InRange(estimate, truth / 1.1, truth * 1.1);
        }
    }

    [Fact]
    public async Task Exemplars_open_traces_and_include_the_slowest_span()
    {
        var end = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5;
        using var result = JsonDocument.Parse(await _http.GetStringAsync($"/api/v1/query_exemplars?query=traces_spanmetrics_duration_seconds&start={_start}&end={end}"));
        var traceIds = result.RootElement.GetProperty("data").EnumerateArray()
            .SelectMany(s => s.GetProperty("exemplars").EnumerateArray())
            .Select(e => e.GetProperty("labels").GetProperty("trace_id").GetString()!)
            .ToList();

        Assert.Contains(_slowestTraceId, traceIds);
        foreach (var traceId in traceIds.Distinct().Take(10))
        {
            using var response = await _http.GetAsync("/api/traces/" + traceId);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Derived_logs_are_found_by_service_and_by_trace_id()
    {
        var query = Uri.EscapeDataString($"{{service_name=\"{Service}\"}} |= \"trace_id={_errorTraceId}\"");
        using var byTrace = JsonDocument.Parse(await _http.GetStringAsync($"/loki/api/v1/query_range?query={query}&start={_start}&end={_start + 600}&limit=100"));
        var lines = Lines(byTrace);
        var line = Assert.Single(lines);
        Assert.Contains("trace_id=" + _errorTraceId, line, StringComparison.Ordinal);

        var byService = Uri.EscapeDataString($"{{service_name=\"{Service}\", level=\"error\"}}");
        using var errors = JsonDocument.Parse(await _http.GetStringAsync($"/loki/api/v1/query_range?query={byService}&start={_start}&end={_start + 600}&limit=100"));
        Assert.Contains(Lines(errors), l => l.Contains(_errorTraceId, StringComparison.Ordinal));
    }

    private static List<string> Lines(JsonDocument result) =>
        [.. result.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .SelectMany(s => s.GetProperty("values").EnumerateArray())
            .Select(v => v[1].GetString()!)];

    private async Task<double> QueryScalarAsync(string promql)
    {
        using var result = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql)));
        var vector = result.RootElement.GetProperty("data").GetProperty("result");
        return vector.GetArrayLength() == 0 ? 0 : double.Parse(vector[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }
}
