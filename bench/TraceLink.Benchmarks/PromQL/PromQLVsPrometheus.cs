using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

using Snappier;

using TraceLink.Ingest.RemoteWrite;
using TraceLink.Query.PromQL.Api;
using TraceLink.Storage.Tsdb;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Benchmarks.PromQL;

/// <summary>
/// Console harness (<c>dotnet run -c Release --project bench/TraceLink.Benchmarks -- promql-vs-prometheus [hours] [iterations]</c>):
/// sends the same remote-write requests (10,000 series, 15 s, default 24 h: 57.6M samples) to a real Prometheus
/// (Debian package, temp dir, remote-write receiver and native histograms on) and to TraceLink's remote-write and
/// query API over a <see cref="TsdbStore"/> in this process, then times a fixed query set over HTTP against both,
/// alternating, after warm-up. Prints per-query medians and TraceLink/Prometheus ratios; asserts nothing.
/// </summary>
internal static class PromQLVsPrometheus
{
    private const int StepsPerRequest = 8;

    private sealed record BenchQuery(string Name, string Expr, TimeSpan Range, TimeSpan Step)
    {
        public bool Instant => Range == TimeSpan.Zero;
    }

    private const int MaxWarmups = 30;
    private const double WarmupMs = 2_000;

    private static readonly BenchQuery[] Queries =
    [
        new("selector", "bench_temperature{job=\"j3\"}", TimeSpan.Zero, TimeSpan.Zero),
        new("selector_range_1h", "bench_temperature{job=\"j3\", instance=~\"i1.*\"}", TimeSpan.FromHours(1), TimeSpan.FromSeconds(15)),
        new("rate_6k_series", "rate(bench_requests_total[5m])", TimeSpan.Zero, TimeSpan.Zero),
        new("sum_by_rate_1h", "sum by (job) (rate(bench_requests_total[5m]))", TimeSpan.FromHours(1), TimeSpan.FromSeconds(15)),
        new("sum_by_rate_1d", "sum by (job) (rate(bench_requests_total[5m]))", TimeSpan.FromDays(1), TimeSpan.FromMinutes(5)),
        new("topk_rate", "topk(10, rate(bench_requests_total[5m]))", TimeSpan.Zero, TimeSpan.Zero),
        new("classic_hq_1h", "histogram_quantile(0.99, sum by (le) (rate(bench_latency_seconds_bucket[5m])))", TimeSpan.FromHours(1), TimeSpan.FromMinutes(1)),
        new("classic_hq_by_job_1d", "histogram_quantile(0.9, sum by (job, le) (rate(bench_latency_seconds_bucket[5m])))", TimeSpan.FromDays(1), TimeSpan.FromMinutes(5)),
        new("native_hq_1h", "histogram_quantile(0.99, sum(rate(bench_rpc_seconds[5m])))", TimeSpan.FromHours(1), TimeSpan.FromMinutes(1)),
        new("native_hq_by_job_1d", "histogram_quantile(0.9, sum by (job) (rate(bench_rpc_seconds[5m])))", TimeSpan.FromDays(1), TimeSpan.FromMinutes(5)),
        new("binary_ratio", "sum by (job) (rate(bench_requests_total{code=\"500\"}[5m])) / sum by (job) (rate(bench_requests_total[5m]))", TimeSpan.Zero, TimeSpan.Zero),
        new("group_left_1h", "bench_temperature / on(job) group_left avg by (job) (bench_temperature)", TimeSpan.FromHours(1), TimeSpan.FromMinutes(1)),
        new("subquery", "max_over_time(sum by (job) (rate(bench_requests_total[5m]))[1h:1m])", TimeSpan.Zero, TimeSpan.Zero),
        new("avg_over_time_1d", "avg(avg_over_time(bench_temperature[1h]))", TimeSpan.FromDays(1), TimeSpan.FromHours(1)),
        new("increase_1d", "sum by (code) (increase(bench_requests_total[1d]))", TimeSpan.Zero, TimeSpan.Zero),
        new("count_gt_1h", "count(bench_temperature > 25)", TimeSpan.FromHours(1), TimeSpan.FromSeconds(15)),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var hours = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 24;
        var iterations = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        var prometheus = FindOnPath("prometheus");
        if (prometheus is null)
        {
            Console.Error.WriteLine("prometheus is not installed (Debian package 'prometheus'); nothing to compare against");
            return 2;
        }

        var root = Directory.CreateTempSubdirectory("tracelink-promql-vs-prom-");
        Process? prom = null;
        WebApplication? app = null;
        TsdbStore? store = null;
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        try
        {
            var version = await RunToEndAsync(prometheus, "--version");
            Console.WriteLine($"prometheus: {version.Split('\n')[0]}");
            prom = StartPrometheus(prometheus, root.FullName, out var promUrl);

            store = new TsdbStore(new TsdbOptions { DataDirectory = Path.Combine(root.FullName, "tracelink", "tsdb"), RetentionTime = TimeSpan.FromDays(30) });
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Listen(IPAddress.Loopback, 0);
                k.Limits.MaxRequestBodySize = null;
            });
            app = builder.Build();
            app.MapRemoteWrite(store, new RemoteWriteOptions());
            app.MapPrometheusApi(store);
            await app.StartAsync(stop.Token);
            var ourUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            await WaitReadyAsync(http, promUrl, stop.Token);

            // Data ends a minute before now so Prometheus's head accepts all of it; 15 s grid.
            var steps = hours * 240;
            var end = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / BenchData.StepMs * BenchData.StepMs) - 60_000;
            var start = end - ((steps - 1) * BenchData.StepMs);
            using var data = new BenchData(start, steps);
            Console.WriteLine($"loading {data.SeriesCount:N0} series x {steps:N0} samples = {data.SampleCount:N0} samples ({hours} h at 15 s) into both, {StepsPerRequest} steps per request");
            var (promLoad, ourLoad, wall) = await LoadAsync(http, data, promUrl, ourUrl, stop.Token);
            Console.WriteLine($"load: wall {wall.TotalSeconds:F1} s; prometheus {promLoad.TotalSeconds:F1} s ({data.SampleCount / promLoad.TotalSeconds:N0} samples/s), tracelink {ourLoad.TotalSeconds:F1} s ({data.SampleCount / ourLoad.TotalSeconds:N0} samples/s) (requests sent to both at once)");
            await WaitForPrometheusCompactionAsync(http, promUrl, stop.Token);

            Console.WriteLine($"{iterations} timed iterations per query after at least 2 warm-up runs (fast queries: up to {MaxWarmups} runs or {WarmupMs / 1000} s, so the .NET server's hot code is tiered up as in a long-running server), alternating targets; median wall time of the HTTP request incl. reading the body");
            Console.WriteLine();
            Console.WriteLine($"{"query",-22} {"kind",-16} {"prometheus ms",14} {"tracelink ms",13} {"ratio",7}  series (prom/tl)");
            var ratios = new List<double>();
            foreach (var q in Queries)
            {
                var path = q.Instant
                    ? $"/api/v1/query?query={Uri.EscapeDataString(q.Expr)}&time={Seconds(end)}"
                    : $"/api/v1/query_range?query={Uri.EscapeDataString(q.Expr)}&start={Seconds(end - (long)q.Range.TotalMilliseconds)}&end={Seconds(end)}&step={q.Step.TotalSeconds.ToString(CultureInfo.InvariantCulture)}";
                var promTimes = new List<double>();
                var ourTimes = new List<double>();
                int promSeries = 0, ourSeries = 0;
                string? failure = null;
                var warmups = 2;
                var warmupMs = 0.0;
                var runs = iterations + warmups;
                for (var i = 0; i < runs && failure is null; i++)
                {
                    try
                    {
                        var (pt, ps) = await TimeAsync(http, promUrl + path, stop.Token);
                        var (ot, os) = await TimeAsync(http, ourUrl + path, stop.Token);
                        if (i >= warmups || runs == 2)
                        {
                            promTimes.Add(pt);
                            ourTimes.Add(ot);
                        }
                        else if ((warmupMs += pt + ot) < WarmupMs && i == warmups - 1 && warmups < MaxWarmups)
                        {
                            warmups++;
                            runs++;
                        }

                        promSeries = ps;
                        ourSeries = os;

                        // A query that takes either side more than 20 s is timed once after one warm-up run.
                        if (i == 0 && Math.Max(pt, ot) > 20_000)
                        {
                            runs = 2;
                        }
                    }
                    catch (InvalidOperationException e)
                    {
                        // One side's query timeout (Prometheus: 2 min) must not end the whole run; the row says so.
                        var side = e.Message.StartsWith(promUrl, StringComparison.Ordinal) ? "prometheus: " : "tracelink: ";
                        var detail = e.Message[(e.Message.IndexOf(": ", StringComparison.Ordinal) + 2)..];
                        failure = side + (detail.Length > 140 ? detail[..140] : detail);
                    }
                }

                if (failure is not null)
                {
                    Console.WriteLine($"{q.Name,-22} failed, not counted: {failure}");
                    continue;
                }

                var pm = Median(promTimes);
                var om = Median(ourTimes);
                ratios.Add(om / pm);
                var kind = q.Instant ? "instant" : $"range {Short(q.Range)}/{Short(q.Step)}";
                Console.WriteLine($"{q.Name,-22} {kind,-16} {pm,14:F2} {om,13:F2} {om / pm,7:F2}  {promSeries}/{ourSeries}{(promSeries == ourSeries ? string.Empty : "  MISMATCH")}");
            }

            // Splits engine from storage cost: the same samples increase_1d reads, straight from the store, no PromQL, no HTTP.
            var scans = new List<double>();
            long scanned = 0;
            for (var i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                scanned = ScanAll(store, end - (long)TimeSpan.FromDays(1).TotalMilliseconds, end);
                scans.Add(clock.Elapsed.TotalMilliseconds);
            }

            Console.WriteLine($"{"raw store scan",-22} {"(no PromQL)",-16} {"",14} {Median(scans),13:F2}          {scanned:N0} samples of bench_requests_total via ISeriesStore.Select + iterators");
            Console.WriteLine();
            Console.WriteLine($"median ratio tracelink/prometheus: {Median(ratios):F2} (geometric mean {Math.Exp(ratios.Average(Math.Log)):F2}, {ratios.Count(r => r <= 1.0)}/{ratios.Count} queries at or below 1.0)");
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("interrupted");
            return 130;
        }
        finally
        {
            if (prom is { HasExited: false })
            {
                prom.Kill(entireProcessTree: true);
                await prom.WaitForExitAsync();
            }

            prom?.Dispose();
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            store?.Dispose();
            root.Delete(recursive: true);
        }
    }

    private static long ScanAll(TsdbStore store, long mint, long maxt)
    {
        long n = 0;
        double sum = 0;
        foreach (var series in store.Select(mint, maxt, [new LabelMatcher(MatchType.Equal, "__name__", "bench_requests_total")]))
        {
            var it = series.Iterator();
            for (var type = it.Seek(mint); type != SampleValueType.None && it.AtTimestamp <= maxt; type = it.Next())
            {
                sum += it.AtFloat;
                n++;
            }
        }

        return sum > 0 ? n : -n;
    }

    private static async Task<(TimeSpan Prometheus, TimeSpan TraceLink, TimeSpan Wall)> LoadAsync(HttpClient http, BenchData data, string promUrl, string ourUrl, CancellationToken ct)
    {
        var promTime = TimeSpan.Zero;
        var ourTime = TimeSpan.Zero;
        var wall = Stopwatch.StartNew();
        Task<TimeSpan>? promPending = null, ourPending = null;
        for (var from = 0; from < data.Steps; from += StepsPerRequest)
        {
            // Encode the next request while the previous one is still being ingested.
            var body = Snappy.CompressToArray(data.Request(from, Math.Min(from + StepsPerRequest, data.Steps)));
            if (promPending is not null)
            {
                promTime += await promPending;
                ourTime += await ourPending!;
            }

            promPending = SendAsync(http, promUrl, body, ct);
            ourPending = SendAsync(http, ourUrl, body, ct);
            if (from % (StepsPerRequest * 240) == 0)
            {
                Console.WriteLine($"  {from * 100 / data.Steps,3}% after {wall.Elapsed.TotalSeconds:F0} s");
            }
        }

        promTime += await promPending!;
        ourTime += await ourPending!;
        return (promTime, ourTime, wall.Elapsed);
    }

    private static async Task<TimeSpan> SendAsync(HttpClient http, string baseUrl, byte[] body, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/x-protobuf");
        content.Headers.ContentEncoding.Add("snappy");
        content.Headers.TryAddWithoutValidation("X-Prometheus-Remote-Write-Version", "0.1.0");
        using var response = await http.PostAsync(new Uri(baseUrl + "/api/v1/write"), content, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"remote write to {baseUrl} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }

        return clock.Elapsed;
    }

    private static async Task<(double Ms, int Series)> TimeAsync(HttpClient http, string url, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.GetAsync(new Uri(url), HttpCompletionOption.ResponseContentRead, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        var ms = clock.Elapsed.TotalMilliseconds;
        using var doc = JsonDocument.Parse(bytes);
        if (!response.IsSuccessStatusCode || doc.RootElement.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"{url}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(bytes)}");
        }

        var result = doc.RootElement.GetProperty("data").GetProperty("result");
        return (ms, result.ValueKind == JsonValueKind.Array ? result.GetArrayLength() : 1);
    }

    private static Process StartPrometheus(string binary, string root, out string url)
    {
        var dir = Path.Combine(root, "prometheus");
        Directory.CreateDirectory(dir);
        var cfg = Path.Combine(dir, "prometheus.yml");
        File.WriteAllText(cfg, "global:\n  scrape_interval: 1h\n");
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        url = "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            "--config.file=" + cfg, "--storage.tsdb.path=" + Path.Combine(dir, "data"), "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
            "--storage.tsdb.retention.time=30d", "--web.enable-remote-write-receiver", "--enable-feature=native-histograms",
        })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task WaitReadyAsync(HttpClient http, string url, CancellationToken ct)
    {
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var r = await http.GetAsync(new Uri(url + "/-/ready"), ct);
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, ct);
        }

        throw new InvalidOperationException("prometheus did not become ready");
    }

    /// <summary>Prometheus cuts 2 h blocks out of its head in the background; wait until the head holds at most ~3 h so neither side is mid-compaction.</summary>
    private static async Task WaitForPrometheusCompactionAsync(HttpClient http, string url, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri(url + "/api/v1/status/tsdb"), ct));
            var head = doc.RootElement.GetProperty("data").GetProperty("headStats");
            var span = head.GetProperty("maxTime").GetInt64() - head.GetProperty("minTime").GetInt64();
            if (span <= 3.5 * 3600 * 1000)
            {
                Console.WriteLine($"prometheus head compacted to {span / 3_600_000.0:F1} h after {clock.Elapsed.TotalSeconds:F0} s; settling 10 s");
                await Task.Delay(10_000, ct);
                return;
            }

            await Task.Delay(2000, ct);
        }

        Console.WriteLine("prometheus head still larger than 3.5 h after 5 min; measuring anyway");
    }

    private static async Task<string> RunToEndAsync(string file, string arg)
    {
        using var p = Process.Start(new ProcessStartInfo(file, arg) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (await so) + (await se);
    }

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

    private static string Seconds(long ms) => (ms / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Short(TimeSpan t) => t.TotalDays >= 1 ? $"{t.TotalDays:0}d" : t.TotalHours >= 1 ? $"{t.TotalHours:0}h" : t.TotalMinutes >= 1 ? $"{t.TotalMinutes:0}m" : $"{t.TotalSeconds:0}s";

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        var n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }
}
