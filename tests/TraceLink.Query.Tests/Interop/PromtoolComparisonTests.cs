using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

using TraceLink.Query.PromQL.Api;
using TraceLink.Storage.Tsdb;

using Xunit.Abstractions;

namespace TraceLink.Query.Tests.Interop;

/// <summary>
/// Loads one data set into a real Prometheus (backfilled with promtool) and into the API over the in-memory store,
/// then compares <c>promtool query instant/range</c> output of both for a fixed query set. Skips when the Debian
/// <c>prometheus</c> package (listed in .ci/setup-packages) is not installed.
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

    /// <summary>Data set: counters, gauges and a classic histogram over 2 h at 15 s, ending one hour before now.</summary>
    private static (InMemorySeriesStore Store, string OpenMetrics, long Start, long End) BuildData()
    {
        var end = ((DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 3600) - 1) * 3600 * 1000;
        var start = end - (2 * 3600 * 1000);
        var store = new InMemorySeriesStore();
        var families = new SortedDictionary<string, StringBuilder>(StringComparer.Ordinal);
        var rnd = new Random(7);
        void Add(string family, Label[] labels, Func<int, double> value)
        {
            if (!families.TryGetValue(family, out var sb))
            {
                sb = new StringBuilder();
                families[family] = sb;
            }

            var sorted = labels.OrderBy(l => l.Name, StringComparer.Ordinal).ToArray();
            var name = sorted.First(l => l.Name == "__name__").Value;
            var lbl = string.Join(",", sorted.Where(l => l.Name != "__name__").Select(l => $"{l.Name}=\"{l.Value}\""));
            var i = 0;
            for (var t = start; t <= end; t += 15_000, i++)
            {
                var v = value(i);
                store.Add(sorted, t, v);
                sb.Append(name).Append('{').Append(lbl).Append("} ").Append(v.ToString("R", CultureInfo.InvariantCulture)).Append(' ')
                  .Append((t / 1000).ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        foreach (var job in new[] { "api", "db" })
        {
            foreach (var inst in new[] { "i1", "i2", "i3" })
            {
                double c = 0;
                var rate = rnd.Next(1, 20);
                Add("http_requests_total", [new("__name__", "http_requests_total"), new("job", job), new("instance", inst)], i =>
                {
                    if (i == 200 && inst == "i2")
                    {
                        c = 0;
                    }

                    c += rate + (i % 7);
                    return c;
                });
                var phase = rnd.NextDouble() * 6;
                Add("temperature", [new("__name__", "temperature"), new("job", job), new("instance", inst)], i => Math.Round(20 + (8 * Math.Sin(phase + (i / 40.0))), 2));
            }
        }

        var bounds = new[] { "0.1", "0.5", "1", "+Inf" };
        foreach (var inst in new[] { "i1", "i2" })
        {
            for (var b = 0; b < bounds.Length; b++)
            {
                var share = (b + 1) / (double)bounds.Length;
                Add("latency_seconds", [new("__name__", "latency_seconds_bucket"), new("le", bounds[b]), new("instance", inst)], i => Math.Floor(i * 10 * share));
            }
        }

        var om = new StringBuilder();
        foreach (var (family, sb) in families)
        {
            om.Append("# TYPE ").Append(family).Append(" gauge\n").Append(sb);
        }

        om.Append("# EOF\n");
        return (store, om.ToString(), start, end);
    }

    /// <summary>promtool prints one series per line; compare as sorted sets with a tiny relative tolerance on values.</summary>
    private static List<string> Normalize(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).Order(StringComparer.Ordinal).ToList();

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

        var (store, om, start, end) = BuildData();
        var dir = Directory.CreateTempSubdirectory("tracelink-promtool-");
        Process? prom = null;
        try
        {
            var omFile = Path.Combine(dir.FullName, "data.om");
            await File.WriteAllTextAsync(omFile, om);
            var tsdb = Path.Combine(dir.FullName, "tsdb");
            var (code, so, se) = await RunAsync(promtool, "tsdb", "create-blocks-from", "openmetrics", omFile, tsdb);
            Assert.True(code == 0, so + se);
            var cfg = Path.Combine(dir.FullName, "prometheus.yml");
            await File.WriteAllTextAsync(cfg, "global:\n  scrape_interval: 15s\n");
            var promPort = FreePort();
            var psi = new ProcessStartInfo(prometheus) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--config.file=" + cfg, "--storage.tsdb.path=" + tsdb, "--web.listen-address=127.0.0.1:" + promPort, "--storage.tsdb.retention.time=10y" })
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
            }

            var mid = (start + end) / 2 / 1000;
            var evalTime = ((end / 1000) - 600).ToString(CultureInfo.InvariantCulture);
            var rangeStart = ((end / 1000) - 1800).ToString(CultureInfo.InvariantCulture);
            var rangeEnd = (end / 1000).ToString(CultureInfo.InvariantCulture);
            var failures = new List<string>();
            var compared = 0;
            var withData = 0;
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
                    }

                    if (a.Count != b.Count || a.Zip(b).Any(p => !LinesEqual(p.First, p.Second)))
                    {
                        failures.Add($"{mode} {q}\n  prometheus: {string.Join(" | ", a.Take(6))}\n  tracelink:  {string.Join(" | ", b.Take(6))}");
                    }
                }
            }

            foreach (var f in failures)
            {
                output.WriteLine(f);
            }

            output.WriteLine($"promtool comparison: {compared - failures.Count}/{compared} identical, {withData} with data");
            Assert.Empty(failures);

            // Guard against comparing two empty or failing outputs.
            Assert.True(withData >= 60, $"only {withData} of {compared} comparisons returned series");
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
