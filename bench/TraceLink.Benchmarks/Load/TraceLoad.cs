using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace TraceLink.Benchmarks.Load;

/// <summary>
/// End-to-end load over loopback: starts <c>tracelink serve</c> on a fresh data directory (or uses --url),
/// drives <c>POST /v1/traces</c> with pre-encoded batches, prints spans/s, then measures trace-by-id
/// latency against the full store. Stops by itself.
/// </summary>
internal static class TraceLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var spans = IntArg(args, "--spans", 1_000_000);
        var batchSpans = IntArg(args, "--batch", 1000);
        var concurrency = IntArg(args, "--concurrency", 8);
        var lookups = IntArg(args, "--lookups", 2000);
        var warmupSpans = IntArg(args, "--warmup", 100_000);
        const int SpansPerTrace = 10;

        Console.WriteLine($"generating {spans:N0} spans in batches of {batchSpans} ...");
        var batches = new List<byte[]>();
        var traceIds = new List<string>();
        for (var seed = 0; batches.Count * batchSpans < spans + warmupSpans; seed++)
        {
            var batch = SpanBatches.Create(seed, batchSpans / SpansPerTrace, SpansPerTrace);
            batches.Add(batch.ToByteArray());
            traceIds.Add(Convert.ToHexStringLower(batch.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId.Span));
        }

        // The first batches warm the server up (JIT tiers, FASTER pages, pools) untimed; the rest are measured.
        var warmup = new BatchRange(batches, 0, warmupSpans / batchSpans);
        var measured = new BatchRange(batches, warmup.End, batches.Count);
        var total = measured.Count * batchSpans;
        if (StringArg(args, "--url") is { } url)
        {
            await MeasureAsync(url, null, warmup, measured, traceIds, total, concurrency, lookups, "external server");
            return 0;
        }

        // Side by side on fresh servers in the same run: everything on, then each optional ingest stage off.
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}; the load generator shares the cores with the server");
        var full = await MeasureFreshAsync([], warmup, measured, traceIds, total, concurrency, lookups, "all on (indexes, trace linking, span metrics, derived logs)");
        if (Array.IndexOf(args, "--compare") >= 0)
        {
            var noSignals = await MeasureFreshAsync(["--no-derived-signals"], warmup, measured, traceIds, total, concurrency, lookups, "without span metrics and derived logs");
            var noLinking = await MeasureFreshAsync(["--no-trace-linking"], warmup, measured, traceIds, total, concurrency, lookups, "without ingest-time trace linking");
            Console.WriteLine($"summary (spans/s): all on {full.Rate:N0}, no signals {noSignals.Rate:N0}, no linking {noLinking.Rate:N0}; server CPU µs/span: {full.CpuPerSpan:F1} / {noSignals.CpuPerSpan:F1} / {noLinking.CpuPerSpan:F1}");
            Console.WriteLine($"cost of span metrics + derived logs: all-on ingest is {1 - (full.Rate / noSignals.Rate):P1} slower (ratio {full.Rate / noSignals.Rate:F2}); server CPU per span +{(full.CpuPerSpan / noSignals.CpuPerSpan) - 1:P1}");
            Console.WriteLine($"cost of ingest-time trace linking: all-on ingest is {1 - (full.Rate / noLinking.Rate):P1} slower (ratio {full.Rate / noLinking.Rate:F2}); server CPU per span +{(full.CpuPerSpan / noLinking.CpuPerSpan) - 1:P1} (target < 25 %)");
        }

        Console.WriteLine($"load average at the end: {LoadAverage()}");

        return 0;
    }

    private static async Task<(double Rate, double CpuPerSpan)> MeasureFreshAsync(string[] serverArgs, BatchRange warmup, BatchRange measured, List<string> traceIds, int total, int concurrency, int lookups, string label)
    {
        var data = Directory.CreateTempSubdirectory("tracelink-load-").FullName;
        var (server, url) = await StartServerAsync(data, serverArgs);
        try
        {
            return await MeasureAsync(url, server, warmup, measured, traceIds, total, concurrency, lookups, label);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
            server.Dispose();
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<(double Rate, double CpuPerSpan)> MeasureAsync(string url, Process? server, BatchRange warmup, BatchRange measured, List<string> traceIds, int total, int concurrency, int lookups, string label)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
        await SendAsync(http, warmup, concurrency);
        server?.Refresh();
        var cpuBefore = server?.TotalProcessorTime ?? TimeSpan.Zero;
        var stopwatch = Stopwatch.StartNew();
        await SendAsync(http, measured, concurrency);
        stopwatch.Stop();
        server?.Refresh();
        var cpuPerSpan = server is null ? double.NaN : (server.TotalProcessorTime - cpuBefore).TotalMicroseconds / total;
        var rate = total / stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine($"[{label}] ingest: {total:N0} spans in {stopwatch.Elapsed.TotalSeconds:F1} s = {rate:N0} spans/s (concurrency {concurrency}); server CPU {cpuPerSpan:F1} µs/span; ratio to the 100k spans/s target: {rate / 100_000:F2}");

        var random = new Random(42);
        var latencies = new double[lookups];
        for (var i = 0; i < lookups; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/traces/" + traceIds[random.Next(traceIds.Count)]);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/protobuf"));
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            _ = await response.Content.ReadAsByteArrayAsync();
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            response.EnsureSuccessStatusCode();
        }

        Array.Sort(latencies);
        var p99 = latencies[(int)(lookups * 0.99)];
        Console.WriteLine($"[{label}] trace-by-id over {total / measured.Count * measured.Batches.Count:N0} stored spans: p50 {latencies[lookups / 2]:F2} ms, p99 {p99:F2} ms ({lookups} lookups); ratio of p99 to the 10 ms target: {p99 / 10:F2}");
        return (rate, cpuPerSpan);
    }

    private static Task SendAsync(HttpClient http, BatchRange load, int concurrency)
    {
        var next = load.Start - 1;
        return Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < load.End)
            {
                using var content = new ByteArrayContent(load.Batches[i]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
                using var response = await http.PostAsync("/v1/traces", content);
                response.EnsureSuccessStatusCode();
            }
        })));
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";

    private static async Task<(Process Process, string Url)> StartServerAsync(string data, string[] serverArgs)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "tracelink.dll"), "serve", "--data", data, "--listen", "127.0.0.1:0" }.Concat(serverArgs))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            const string Prefix = "tracelink listening on ";
            if (line.StartsWith(Prefix, StringComparison.Ordinal))
            {
                _ = process.StandardOutput.ReadToEndAsync();
                return (process, line[Prefix.Length..line.IndexOf(' ', Prefix.Length)]);
            }
        }

        throw new InvalidOperationException("tracelink exited before listening");
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var value = StringArg(args, name);
        return value is null ? fallback : int.Parse(value, CultureInfo.InvariantCulture);
    }

    private static string? StringArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
