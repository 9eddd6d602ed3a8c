using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

using TraceLink.Ingest.RemoteWrite;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Benchmarks.Load;

/// <summary>
/// <c>load-remote-write</c>: sends the same scrape-like data set (<see cref="ScrapeData"/>) over loopback to an
/// in-process TraceLink remote-write receiver and to the Debian Prometheus (<c>/usr/bin/prometheus</c>) with several
/// concurrent senders; prints samples/s, then compacts the head (TraceLink: <see cref="TsdbStore.CompactHead"/>;
/// Prometheus: an admin snapshot with the head, which writes the head as a block) and prints bytes per sample on
/// disk, with the ratios. Two phases: the ingest rate on <c>--series</c> × <c>--scrapes</c>, then bytes per sample
/// of a full 2 h block (480 scrapes at 15 s) on fewer series, since per-series index bytes spread over 120 samples
/// overstate what a real block costs. Stops by itself and removes its temp directories and child process.
/// </summary>
internal static class RemoteWriteLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (Array.IndexOf(args, "--help") >= 0)
        {
            Console.WriteLine("load-remote-write [--series 100000] [--scrapes 120] [--senders 4] [--batch 2000] [--histogram-permille 20]");
            Console.WriteLine("                  [--block-series 10000] [--block-scrapes 480] [--warmup-series 20000] [--prometheus /usr/bin/prometheus] [--no-prometheus]");
            Console.WriteLine("phase 1 (ingest rate): --series x --scrapes; phase 2 (bytes/sample of a full 2 h block, 480 scrapes at 15 s): --block-series x --block-scrapes (0 skips it)");
            Console.WriteLine("data model: " + ScrapeData.Model);
            return 0;
        }

        int seriesCount = IntArg(args, "--series", 100_000);
        int scrapes = IntArg(args, "--scrapes", 120);
        int senders = IntArg(args, "--senders", 4);
        int batch = IntArg(args, "--batch", 2000);
        int blockSeries = IntArg(args, "--block-series", 10_000);
        int warmup = IntArg(args, "--warmup-series", 20_000);
        int blockScrapes = IntArg(args, "--block-scrapes", 480);
        double histogramShare = IntArg(args, "--histogram-permille", 20) / 1000.0;
        string prometheus = StringArg(args, "--prometheus") ?? "/usr/bin/prometheus";
        bool withPrometheus = Array.IndexOf(args, "--no-prometheus") < 0 && File.Exists(prometheus);
        if (!withPrometheus)
        {
            Console.WriteLine($"Prometheus comparison skipped: {prometheus} not found or --no-prometheus");
        }

        Console.WriteLine("data model: " + ScrapeData.Model);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores");
        if (warmup > 0)
        {
            // A server runs warm: JIT tiering and the first GCs happen in a throwaway store on other series, untimed.
            // Prometheus (Go, compiled ahead of time) needs none.
            var warm = ScrapeData.Create(warmup, 20, senders, batch, histogramShare, seed: 11, instancePrefix: "10.250.");
            await RunTraceLinkAsync(warm, senders, compactHead: false);
            Console.WriteLine($"TraceLink warmed up on a separate store: {warm.Samples:N0} samples of {warmup:N0} other series, untimed");
        }

        await RunPhaseAsync("ingest", seriesCount, scrapes, senders, batch, histogramShare, withPrometheus ? prometheus : null);
        if (blockScrapes > 0 && blockSeries > 0)
        {
            await RunPhaseAsync("2h block", blockSeries, blockScrapes, senders, batch, histogramShare, withPrometheus ? prometheus : null);
        }

        return 0;
    }

    private static async Task RunPhaseAsync(string phase, int seriesCount, int scrapes, int senders, int batch, double histogramShare, string? prometheus)
    {
        Console.WriteLine($"== {phase}: generating {seriesCount:N0} series x {scrapes} scrapes (15 s), {histogramShare:P1} native histograms, {senders} senders, {batch} samples/request ...");
        var data = ScrapeData.Create(seriesCount, scrapes, senders, batch, histogramShare, seed: 7);
        int requests = 0;
        long wireBytes = 0;
        foreach (var list in data.PerSender)
        {
            requests += list.Count;
            foreach (var b in list)
            {
                wireBytes += b.Length;
            }
        }

        Console.WriteLine($"data: {data.FloatSamples:N0} float + {data.HistogramSamples:N0} histogram samples in {requests:N0} requests ({wireBytes / (1 << 20):N0} MiB snappy), {data.SeriesPerTarget} series per target");
        var tl = await RunTraceLinkAsync(data, senders);
        Print("TraceLink", data, tl);
        if (prometheus is null)
        {
            return;
        }

        var prom = await RunPrometheusAsync(prometheus, data, senders);
        Print("Prometheus", data, prom);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{phase}] ratio TraceLink/Prometheus: ingest samples/s {tl.Rate / prom.Rate:F2}x, bytes/sample {tl.BytesPerSample / prom.BytesPerSample:F2}x, chunk bytes/sample {(double)tl.ChunkBytes / prom.ChunkBytes:F2}x, index bytes/sample {(double)(tl.Bytes - tl.ChunkBytes) / (prom.Bytes - prom.ChunkBytes):F2}x (lower is better)"));
    }

    private static void Print(string name, ScrapeData data, Result r) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{name}] ingest {data.Samples:N0} samples in {r.Seconds:F2} s = {r.Rate:N0} samples/s ({data.FloatSamples / r.Seconds:N0} float samples/s), rejected requests {r.Failed}; on disk after compaction {r.Bytes:N0} B = {r.BytesPerSample:F3} bytes/sample: chunks {r.ChunkBytesPerSample(data.Samples):F3}, index {(double)(r.Bytes - r.ChunkBytes) / data.Samples:F3} (compaction {r.CompactSeconds:F1} s); chunk bytes per float sample {(double)r.Split.FloatBytes / data.FloatSamples:F3} (with the index, which costs the same per sample for every series, {((double)r.Split.FloatBytes / data.FloatSamples) + ((double)(r.Bytes - r.ChunkBytes) / data.Samples):F3}), per histogram sample {(double)r.Split.HistogramBytes / Math.Max(1, data.HistogramSamples):F3}{(r.ExtraBytes > 0 ? string.Create(CultureInfo.InvariantCulture, $"; not counted: FASTER postings index {(double)r.ExtraBytes / data.Samples:F3} bytes/sample") : string.Empty)}"));

    private static async Task<Result> RunTraceLinkAsync(ScrapeData data, int senders, bool compactHead = true)
    {
        var dir = Directory.CreateTempSubdirectory("tracelink-rw-load-").FullName;
        try
        {
            var store = new TsdbStore(new TsdbOptions { DataDirectory = Path.Combine(dir, "tsdb"), BlockDuration = TimeSpan.FromHours(2), RetentionTime = TimeSpan.Zero });
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            app.MapRemoteWrite(store, new RemoteWriteOptions());
            await app.StartAsync();
            try
            {
                var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
                var (seconds, failed) = await SendAsync(new Uri(address), data, senders);
                if (!compactHead)
                {
                    return new Result(seconds, data.Samples / seconds, failed, 0, 0, 0, 0, 0, default);
                }

                var sw = Stopwatch.StartNew();
                store.CompactHead();
                double compact = sw.Elapsed.TotalSeconds;
                long bytes = store.BlockBytes;
                long chunkBytes = SizeOf(Path.Combine(dir, "tsdb", "blocks"), static f => Path.GetFileName(f) == "chunks");
                long postings = SizeOf(Path.Combine(dir, "tsdb", "index"), static _ => true);
                var split = ChunkFileStats.Read(Directory.EnumerateFiles(Path.Combine(dir, "tsdb", "blocks"), "chunks", SearchOption.AllDirectories));
                return new Result(seconds, data.Samples / seconds, failed, bytes, (double)bytes / data.Samples, chunkBytes, compact, postings, split);
            }
            finally
            {
                await app.StopAsync();
                await app.DisposeAsync();
                store.Dispose();
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static async Task<Result> RunPrometheusAsync(string binary, ScrapeData data, int senders)
    {
        var dir = Directory.CreateTempSubdirectory("prometheus-rw-load-").FullName;
        Process? process = null;
        try
        {
            string config = Path.Combine(dir, "prometheus.yml");
            await File.WriteAllTextAsync(config, "global:\n  scrape_interval: 15s\n");
            int port = FreePort();
            var info = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[]
            {
                "--config.file=" + config, "--storage.tsdb.path=" + Path.Combine(dir, "data"), "--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture),
                "--web.enable-remote-write-receiver", "--enable-feature=native-histograms", "--web.enable-admin-api", "--log.level=warn",
            })
            {
                info.ArgumentList.Add(a);
            }

            process = Process.Start(info)!;
            _ = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var baseUri = new Uri("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + "/");
            using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromMinutes(10) };
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException("prometheus exited: " + await stderr);
                }

                try
                {
                    using var ready = await http.GetAsync(new Uri("-/ready", UriKind.Relative));
                    if (ready.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(60))
                {
                }

                await Task.Delay(100);
            }

            var (seconds, failed) = await SendAsync(baseUri, data, senders);
            var sw = Stopwatch.StartNew();
            using var snap = await http.PostAsync(new Uri("api/v1/admin/tsdb/snapshot?skip_head=false", UriKind.Relative), null);
            snap.EnsureSuccessStatusCode();
            using var json = JsonDocument.Parse(await snap.Content.ReadAsStringAsync());
            string name = json.RootElement.GetProperty("data").GetProperty("name").GetString()!;
            double compact = sw.Elapsed.TotalSeconds;
            string snapshot = Path.Combine(dir, "data", "snapshots", name);
            long bytes = SizeOf(snapshot, static _ => true);
            long chunkBytes = SizeOf(snapshot, static f => Path.GetFileName(Path.GetDirectoryName(f)) == "chunks");
            var split = ChunkFileStats.Read(Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories).Where(static f => Path.GetFileName(Path.GetDirectoryName(f)) == "chunks"));
            return new Result(seconds, data.Samples / seconds, failed, bytes, (double)bytes / data.Samples, chunkBytes, compact, 0, split);
        }
        finally
        {
            if (process is not null)
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }

                await process.WaitForExitAsync();
                process.Dispose();
            }

            Directory.Delete(dir, true);
        }
    }

    private static async Task<(double Seconds, int Failed)> SendAsync(Uri baseUri, ScrapeData data, int senders)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = senders, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = TimeSpan.FromMinutes(5) };
        var target = new Uri("api/v1/write", UriKind.Relative);
        int failed = 0;
        string? firstError = null;
        var sw = Stopwatch.StartNew();
        var tasks = new Task[senders];
        for (int s = 0; s < senders; s++)
        {
            var list = data.PerSender[s];
            tasks[s] = Task.Run(async () =>
            {
                foreach (var body in list)
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
                    content.Headers.ContentEncoding.Add("snappy");
                    using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = content };
                    request.Headers.Add("X-Prometheus-Remote-Write-Version", "0.1.0");
                    using var response = await http.SendAsync(request);
                    if (response.StatusCode is not (HttpStatusCode.NoContent or HttpStatusCode.OK))
                    {
                        if (Interlocked.Increment(ref failed) == 1)
                        {
                            firstError = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture) + " " + await response.Content.ReadAsStringAsync();
                        }
                    }
                }
            });
        }

        await Task.WhenAll(tasks);
        double seconds = sw.Elapsed.TotalSeconds;
        if (firstError is not null)
        {
            Console.WriteLine("  first rejected request: " + firstError.Trim());
        }

        return (seconds, failed);
    }

    private static long SizeOf(string directory, Func<string, bool> include)
    {
        long bytes = 0;
        foreach (var f in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            if (include(f))
            {
                bytes += new FileInfo(f).Length;
            }
        }

        return bytes;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
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

    private readonly record struct Result(double Seconds, double Rate, int Failed, long Bytes, double BytesPerSample, long ChunkBytes, double CompactSeconds, long ExtraBytes, ChunkFileStats Split)
    {
        public double ChunkBytesPerSample(long samples) => (double)ChunkBytes / samples;
    }
}
