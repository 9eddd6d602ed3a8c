using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Prometheus;
using Snappier;
using TraceLink.Ingest.RemoteWrite;
using TraceLink.Query.PromQL.Api;
using TraceLink.Storage.Tsdb;
using Xunit.Abstractions;
using Label = TraceLink.Storage.Tsdb.Label;

namespace TraceLink.Query.Tests.Interop;

/// <summary>
/// Sends the same remote-write requests (floats and native histograms) to a real Prometheus 2.42 (remote-write receiver
/// and native histograms enabled) and to the remote-write and query APIs over the in-memory store, then compares
/// <c>promtool query instant/range</c> output of both for a fixed query set (and, for native-histogram queries, the API
/// JSON too). Skips when the Debian <c>prometheus</c> package (listed in .ci/setup-packages) is not installed.
/// </summary>
public sealed class PromtoolComparisonTests(ITestOutputHelper output)
{
    private static readonly string[] Queries =
    [
        "http_requests_total",
        "http_requests_total{job=\"api\", instance=~\"i[12]\"}",
        "http_requests_total offset 10m",
        "http_requests_total @ {{mid}}",
        "rate(http_requests_total[5m])",
        "irate(http_requests_total[5m])",
        "increase(http_requests_total[10m])",
        "delta(temperature[15m])",
        "deriv(temperature[15m])",
        "predict_linear(temperature[30m], 600)",
        "sum by (job) (rate(http_requests_total[5m]))",
        "avg without (instance) (temperature)",
        "max(temperature) - min(temperature)",
        "count by (job) (http_requests_total)",
        "stddev(temperature)",
        "topk(2, rate(http_requests_total[5m]))",
        "bottomk(1, temperature)",
        "quantile(0.9, temperature)",
        "count_values(\"v\", floor(temperature / 10))",
        "group by (job) (http_requests_total)",
        "rate(http_requests_total[5m]) * 60",
        "temperature > 20",
        "temperature > bool 20",
        "http_requests_total / on(instance, job) group_left() sum by (instance, job) (http_requests_total)",
        "rate(http_requests_total[5m]) / ignoring(instance) group_left sum by (job) (rate(http_requests_total[5m]))",
        "http_requests_total{job=\"api\"} and temperature",
        "temperature or http_requests_total{job=\"db\"}",
        "http_requests_total unless on(instance) temperature{instance=\"i1\"}",
        "abs(temperature - 25)",
        "clamp(temperature, 15, 25)",
        "round(temperature, 0.5)",
        "label_replace(temperature, \"host\", \"h-$1\", \"instance\", \"i(.*)\")",
        "label_join(temperature, \"id\", \"/\", \"job\", \"instance\")",
        "histogram_quantile(0.9, sum by (le) (rate(latency_seconds_bucket[10m])))",
        "max_over_time(temperature[20m])",
        "avg_over_time(temperature[20m]) - quantile_over_time(0.5, temperature[20m])",
        "changes(temperature[30m])",
        "resets(http_requests_total[1h])",
        "max_over_time(rate(http_requests_total[5m])[30m:1m])",
        "timestamp(temperature)",
        "absent(nonexistent{job=\"x\"})",
        "scalar(sum(temperature)) * vector(2)",
        "sort_desc(sum by (instance) (http_requests_total))",
        "-temperature ^ 2",

        // Native histograms. Not comparable with 2.42, which lacks them: histogram_avg/stddev/stdvar (2.49+), avg/min/max
        // and other aggregations of histograms (2.42 aggregates histograms with sum only), histogram * or / scalar and
        // histogram + histogram (2.44+), custom-bucket histograms (schema -53, 3.x), and histogram_quantile or
        // histogram_fraction inside a bucket (linear in 2.42, exponential since 3.0); see the data remarks.
        "rpc_duration_seconds",
        "rpc_duration_seconds{job=\"db\"} offset 10m",
        "rate(rpc_duration_seconds[5m])",
        "histogram_count(rate(rpc_duration_seconds[5m]))",
        "histogram_sum(rate(rpc_duration_seconds[5m]))",
        "histogram_quantile(0.9, rate(rpc_duration_seconds[5m]))",
        "histogram_quantile(0.5, sum by (job) (rate(rpc_duration_seconds[5m])))",
        "histogram_fraction(0, 2, rate(rpc_duration_seconds[5m]))",
        "histogram_fraction(1, 4, sum(rate(rpc_duration_seconds[10m])))",
        "sum(rate(rpc_duration_seconds[5m]))",
        "sum by (job) (increase(rpc_duration_seconds[10m]))",
        "histogram_count(rpc_duration_seconds) - histogram_count(rpc_duration_seconds offset 5m)",
        "histogram_sum(sum(rpc_duration_seconds))",
    ];

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':'))
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p))
            {
                return p;
            }
        }

        return null;
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await so, await se);
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>
    /// Data set: counters, gauges, a classic histogram and native histograms over 2 h at 15 s, ending one hour before
    /// now, as remote-write 1.0 requests in time order (10 min per request) so Prometheus's head accepts every sample.
    /// </summary>
    /// <remarks>
    /// Every native-histogram state is a multiple of the bucket shares 5:4:1 over three adjacent buckets from index 0
    /// ((0.5,1], (1,2], (2,4] in schema 0; one series in schema 1), and counters start high. Quantiles 0.5 and 0.9 and
    /// fractions at bucket bounds then sit exactly on a boundary between two populated buckets, where Prometheus 2.42
    /// (linear interpolation, forward scan) and 3.x (exponential interpolation, reverse scan for q ≥ 0.5) agree; inside a
    /// bucket they differ by design. Starting high also keeps the zero-point clamp of rate extrapolation out of play.
    /// </remarks>
    private static (List<WriteRequest> Requests, long Start, long End) BuildData()
    {
        var end = ((DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 3600) - 1) * 3600 * 1000;
        var start = end - (2 * 3600 * 1000);
        var series = new List<(Label[] Labels, Func<int, double>? Value, Func<int, WireHistogram>? Histogram)>();
        var rnd = new Random(7);
        foreach (var job in new[] { "api", "db" })
        {
            foreach (var inst in new[] { "i1", "i2", "i3" })
            {
                double c = 0;
                var rate = rnd.Next(1, 20);
                series.Add(([new("__name__", "http_requests_total"), new("job", job), new("instance", inst)], i =>
                {
                    if (i == 200 && inst == "i2")
                    {
                        c = 0;
                    }

                    c += rate + (i % 7);
                    return c;
                }, null));
                var phase = rnd.NextDouble() * 6;
                series.Add(([new("__name__", "temperature"), new("job", job), new("instance", inst)], i => Math.Round(20 + (8 * Math.Sin(phase + (i / 40.0))), 2), null));
            }
        }

        var bounds = new[] { "0.1", "0.5", "1", "+Inf" };
        foreach (var inst in new[] { "i1", "i2" })
        {
            for (var b = 0; b < bounds.Length; b++)
            {
                var share = (b + 1) / (double)bounds.Length;
                series.Add(([new("__name__", "latency_seconds_bucket"), new("le", bounds[b]), new("instance", inst)], i => Math.Floor(i * 10 * share), null));
            }
        }

        var k = 0;
        foreach (var job in new[] { "api", "db" })
        {
            foreach (var inst in new[] { "i1", "i2", "i3" })
            {
                var mult = (ulong)++k;
                var schema1 = job == "db" && inst == "i3";
                var reset = job == "api" && inst == "i2";
                series.Add(([new("__name__", "rpc_duration_seconds"), new("job", job), new("instance", inst)], null, i =>
                {
                    // Counter states: 1000 + i steps of the 5:4:1 increment, restarting at 200 after a reset.
                    var steps = (ulong)(reset && i >= 200 ? 200 + (i - 200) : 1000 + i) * mult;
                    var sum = (steps * 13.0) + ((i % 3) * 0.25 * mult);
                    return new WireHistogram(schema1 ? 1 : 0, [5 * steps, 4 * steps, steps], sum);
                }
                ));
            }
        }

        var requests = new List<WriteRequest>();
        const long Slice = 600_000;
        for (var from = start; from <= end; from += Slice)
        {
            var request = new WriteRequest();
            foreach (var (labels, value, histogram) in series)
            {
                var ts = new TimeSeries();
                foreach (var l in labels.OrderBy(l => l.Name, StringComparer.Ordinal))
                {
                    ts.Labels.Add(new global::Prometheus.Label { Name = l.Name, Value = l.Value });
                }

                for (var t = from; t < from + Slice && t <= end; t += 15_000)
                {
                    var i = (int)((t - start) / 15_000);
                    if (value != null)
                    {
                        ts.Samples.Add(new global::Prometheus.Sample { Timestamp = t, Value = value(i) });
                    }
                    else
                    {
                        ts.Histograms.Add(histogram!(i).ToProto(t));
                    }
                }

                request.Timeseries.Add(ts);
            }

            requests.Add(request);
        }

        return (requests, start, end);
    }

    /// <summary>An integer native histogram whose buckets are adjacent, starting at index 0 (upper bound 1).</summary>
    private sealed record WireHistogram(int Schema, ulong[] Buckets, double Sum)
    {
        public global::Prometheus.Histogram ToProto(long t)
        {
            var h = new global::Prometheus.Histogram { Schema = Schema, ZeroThreshold = Math.Pow(2, -128), ZeroCountInt = 0, Sum = Sum, Timestamp = t };
            ulong count = 0;
            long prev = 0;
            h.PositiveSpans.Add(new global::Prometheus.BucketSpan { Offset = 0, Length = (uint)Buckets.Length });
            for (var b = 0; b < Buckets.Length; b++)
            {
                h.PositiveDeltas.Add((long)Buckets[b] - prev);
                prev = (long)Buckets[b];
                count += Buckets[b];
            }

            h.CountInt = count;
            return h;
        }
    }

    private static async Task WriteAsync(HttpClient http, string baseUrl, WriteRequest request)
    {
        using var content = new ByteArrayContent(Snappy.CompressToArray(request.ToByteArray()));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/x-protobuf");
        content.Headers.ContentEncoding.Add("snappy");
        content.Headers.TryAddWithoutValidation("X-Prometheus-Remote-Write-Version", "0.1.0");
        using var response = await http.PostAsync(new Uri(baseUrl + "/api/v1/write"), content);
        Assert.True(response.IsSuccessStatusCode, $"remote write to {baseUrl}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>promtool prints one series per line; compare as sorted sets with a tiny relative tolerance on values.</summary>
    /// <remarks>Values are rounded to 12 significant digits before sorting, so last-bit differences cannot reorder lines.</remarks>
    private static List<string> Normalize(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Trim().Split(' ').Select(Canonical))).Order(StringComparer.Ordinal).ToList();

    private static string Canonical(string token) =>
        double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && !double.IsNaN(x) && !double.IsInfinity(x)
            ? x.ToString("G12", CultureInfo.InvariantCulture)
            : token;

    private static bool LinesEqual(string a, string b)
    {
        if (a == b)
        {
            return true;
        }

        var ta = a.Split(' ');
        var tb = b.Split(' ');
        if (ta.Length != tb.Length)
        {
            return false;
        }

        for (var i = 0; i < ta.Length; i++)
        {
            if (ta[i] == tb[i])
            {
                continue;
            }

            if (!double.TryParse(ta[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || !double.TryParse(tb[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var y)
                || Math.Abs(x - y) > 1e-9 * Math.Max(Math.Abs(x), Math.Abs(y)))
            {
                return false;
            }
        }

        return true;
    }

    private static string Trim(string s) => s.Length > 600 ? s[..600] + "..." : s;

    private static bool NumbersClose(double x, double y) =>
        x.Equals(y) || Math.Abs(x - y) <= 1e-9 * Math.Max(Math.Abs(x), Math.Abs(y));

    /// <summary>JSON equality with a tiny relative tolerance on float strings and numbers; result arrays compare as sets by metric.</summary>
    private static bool JsonEquivalent(JsonElement a, JsonElement b, string? property = null)
    {
        if (a.ValueKind != b.ValueKind)
        {
            return false;
        }

        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                var pa = a.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
                var pb = b.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
                return pa.Count == pb.Count && pa.Zip(pb).All(p => p.First.Name == p.Second.Name && JsonEquivalent(p.First.Value, p.Second.Value, p.First.Name));
            case JsonValueKind.Array:
                var ea = a.EnumerateArray().ToList();
                var eb = b.EnumerateArray().ToList();
                if (property == "result" && ea.All(e => e.ValueKind == JsonValueKind.Object))
                {
                    ea = [.. ea.OrderBy(e => e.TryGetProperty("metric", out var m) ? m.GetRawText() : string.Empty, StringComparer.Ordinal)];
                    eb = [.. eb.OrderBy(e => e.TryGetProperty("metric", out var m) ? m.GetRawText() : string.Empty, StringComparer.Ordinal)];
                }

                return ea.Count == eb.Count && ea.Zip(eb).All(p => JsonEquivalent(p.First, p.Second));
            case JsonValueKind.String:
                var sa = a.GetString()!;
                var sb = b.GetString()!;
                return sa == sb || (double.TryParse(sa, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.TryParse(sb, NumberStyles.Float, CultureInfo.InvariantCulture, out var y) && NumbersClose(x, y));
            case JsonValueKind.Number:
                return NumbersClose(a.GetDouble(), b.GetDouble());
            default:
                return true;
        }
    }

    [Fact]
    public async Task Promtool_output_matches_a_real_prometheus_on_the_same_data()
    {
        var prometheus = FindOnPath("prometheus");
        var promtool = FindOnPath("promtool");
        if (prometheus == null || promtool == null)
        {
            output.WriteLine("SKIPPED: prometheus/promtool not installed (Debian package 'prometheus', listed in .ci/setup-packages)");
            return;
        }

        var (requests, start, end) = BuildData();
        var store = new InMemorySeriesStore();
        var dir = Directory.CreateTempSubdirectory("tracelink-promtool-");
        Process? prom = null;
        try
        {
            var tsdb = Path.Combine(dir.FullName, "tsdb");
            var cfg = Path.Combine(dir.FullName, "prometheus.yml");
            await File.WriteAllTextAsync(cfg, "global:\n  scrape_interval: 15s\n");
            var promPort = FreePort();
            var psi = new ProcessStartInfo(prometheus) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--config.file=" + cfg, "--storage.tsdb.path=" + tsdb, "--web.listen-address=127.0.0.1:" + promPort, "--storage.tsdb.retention.time=10y", "--web.enable-remote-write-receiver", "--enable-feature=native-histograms" })
            {
                psi.ArgumentList.Add(a);
            }

            prom = Process.Start(psi)!;
            prom.OutputDataReceived += (_, _) => { };
            prom.ErrorDataReceived += (_, _) => { };
            prom.BeginOutputReadLine();
            prom.BeginErrorReadLine();
            var promUrl = "http://127.0.0.1:" + promPort;

            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            await using var app = builder.Build();
            app.MapPrometheusApi(store);
            app.MapRemoteWrite(store);
            await app.StartAsync();
            var ourUrl = app.Urls.First();

            using (var http = new HttpClient())
            {
                var ready = false;
                for (var i = 0; i < 100 && !ready; i++)
                {
                    try
                    {
                        ready = (await http.GetAsync(new Uri(promUrl + "/-/ready"))).IsSuccessStatusCode;
                    }
                    catch (HttpRequestException)
                    {
                    }

                    if (!ready)
                    {
                        await Task.Delay(200);
                    }
                }

                Assert.True(ready, "prometheus did not become ready");

                // The same requests, in the same order, to both.
                foreach (var request in requests)
                {
                    await WriteAsync(http, promUrl, request);
                    await WriteAsync(http, ourUrl, request);
                }
            }

            var mid = (start + end) / 2 / 1000;
            var evalTime = ((end / 1000) - 600).ToString(CultureInfo.InvariantCulture);
            var rangeStart = ((end / 1000) - 1800).ToString(CultureInfo.InvariantCulture);
            var rangeEnd = (end / 1000).ToString(CultureInfo.InvariantCulture);
            var failures = new List<string>();
            var compared = 0;
            var withData = 0;
            var histogramsWithData = 0;
            foreach (var q0 in Queries)
            {
                var q = q0.Replace("{{mid}}", mid.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
                foreach (var mode in new[] { "instant", "range" })
                {
                    string[] Args(string url) => mode == "instant"
                        ? ["query", "instant", "--time=" + evalTime, url, q]
                        : ["query", "range", "--start=" + rangeStart, "--end=" + rangeEnd, "--step=60s", url, q];
                    var theirs = await RunAsync(promtool, Args(promUrl));
                    var ours = await RunAsync(promtool, Args(ourUrl));
                    compared++;
                    var a = Normalize(theirs.Out + theirs.Err);
                    var b = Normalize(ours.Out + ours.Err);
                    if (theirs.Code == 0 && a.Any(l => l.Contains("=>", StringComparison.Ordinal)))
                    {
                        withData++;
                        if (q.Contains("rpc_duration_seconds", StringComparison.Ordinal))
                        {
                            histogramsWithData++;
                            if (histogramsWithData == 1)
                            {
                                output.WriteLine($"sample ({mode} {q}): {string.Join(" | ", a.Take(2))}");
                            }
                        }
                    }

                    if (a.Count != b.Count || a.Zip(b).Any(p => !LinesEqual(p.First, p.Second)))
                    {
                        failures.Add($"{mode} {q}\n  prometheus: {string.Join(" | ", a.Take(6))}\n  tracelink:  {string.Join(" | ", b.Take(6))}");
                    }
                }
            }

            // promtool 2.42 prints a native histogram sample as "0 @[0]", so histogram-valued results are also compared as API JSON.
            var jsonCompared = 0;
            var jsonWithHistograms = 0;
            using (var http = new HttpClient())
            {
                foreach (var q in Queries.Where(q => q.Contains("rpc_duration_seconds", StringComparison.Ordinal)))
                {
                    var e = Uri.EscapeDataString(q);
                    foreach (var path in new[] { $"/api/v1/query?query={e}&time={evalTime}", $"/api/v1/query_range?query={e}&start={rangeStart}&end={rangeEnd}&step=60" })
                    {
                        using var theirs = JsonDocument.Parse(await http.GetStringAsync(new Uri(promUrl + path)));
                        using var ours = JsonDocument.Parse(await http.GetStringAsync(new Uri(ourUrl + path)));
                        jsonCompared++;
                        var td = theirs.RootElement.GetProperty("data");
                        if (td.GetRawText().Contains("\"histogram", StringComparison.Ordinal))
                        {
                            jsonWithHistograms++;
                        }

                        var od = ours.RootElement.GetProperty("data");
                        if (!JsonEquivalent(td, od))
                        {
                            failures.Add($"json {path}\n  prometheus: {Trim(td.GetRawText())}\n  tracelink:  {Trim(od.GetRawText())}");
                        }
                    }
                }
            }

            foreach (var f in failures)
            {
                output.WriteLine(f);
            }

            output.WriteLine($"API JSON comparison of native-histogram queries: {jsonCompared} requests, {jsonWithHistograms} returning histogram samples");

            output.WriteLine($"promtool comparison: {compared - failures.Count}/{compared} identical, {withData} with data ({histogramsWithData} native-histogram)");
            Assert.Empty(failures);

            // Guard against comparing two empty or failing outputs.
            Assert.True(withData >= 60, $"only {withData} of {compared} comparisons returned series");
            var histogramQueries = Queries.Count(q => q.Contains("rpc_duration_seconds", StringComparison.Ordinal));
            Assert.True(jsonWithHistograms >= 10, $"only {jsonWithHistograms} API responses held histogram samples");
            Assert.True(histogramsWithData == 2 * histogramQueries, $"only {histogramsWithData} of {2 * histogramQueries} native-histogram comparisons returned series");
        }
        finally
        {
            if (prom is { HasExited: false })
            {
                prom.Kill();
                await prom.WaitForExitAsync();
            }

            prom?.Dispose();
            dir.Delete(true);
        }
    }
}
