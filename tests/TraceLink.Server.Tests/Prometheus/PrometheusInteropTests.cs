using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

using TraceLink.Storage.Tsdb;

using Xunit.Abstractions;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Server.Tests.Prometheus;

/// <summary>Real Prometheus (Debian package, see .ci/setup-packages) writing to and reading from TraceLink.</summary>
public sealed class PrometheusInteropTests(ITestOutputHelper output)
{
    private const string Selector = "{__name__=~\"up|prometheus_tsdb_head_series|prometheus_http_requests_total\"}";

    [Fact]
    public async Task Prometheus_remote_write_stores_what_prometheus_stores_and_remote_read_answers_the_same_query()
    {
        string? binary = FindPrometheus();
        if (binary is null)
        {
            output.WriteLine("SKIPPED: prometheus binary not installed (Debian package 'prometheus' is listed in .ci/setup-packages)");
            return;
        }

        await using var host = await TsdbHost.StartAsync();
        string dir = Path.Combine(Path.GetTempPath(), "prom-interop-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        int writerPort = FreePort();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Process? writer = null;
        Process? reader = null;
        try
        {
            string writerConfig = Path.Combine(dir, "writer.yml");
            await File.WriteAllTextAsync(writerConfig, $"""
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: prom
                    static_configs:
                      - targets: ['127.0.0.1:{writerPort}']
                remote_write:
                  - url: {host.Address}api/v1/write
                    queue_config:
                      batch_send_deadline: 500ms
                      min_backoff: 50ms
                      max_backoff: 500ms
                """);
            writer = Start(binary, writerConfig, Path.Combine(dir, "writer-data"), writerPort);

            // Wait until enough scrapes have arrived through remote write.
            var up = new[] { new LabelMatcher(MatchType.Equal, "__name__", "up"), new LabelMatcher(MatchType.Equal, "job", "prom") };
            var deadline = DateTime.UtcNow.AddSeconds(40);
            long lastT = 0;
            while (DateTime.UtcNow < deadline)
            {
                var s = host.Store.Select(long.MinValue, long.MaxValue, up).ToList();
                var samples = s.Count == 1 ? Read(s[0]) : [];
                if (samples.Count >= 6)
                {
                    lastT = samples[^2].T;
                    break;
                }

                await Task.Delay(250);
            }

            Assert.True(lastT > 0, "no samples arrived from Prometheus via remote write: " + string.Join("\n", Logs));

            // Let the remote-write queue catch up past lastT for every series of the selector.
            await Task.Delay(2500);
            long start = lastT - 4000;
            var fromPrometheus = await QueryRangeVectorAsync(http, writerPort, lastT, "4s");
            var fromTraceLink = new Dictionary<string, List<(long, double)>>();
            foreach (var series in host.Store.Select(start, lastT, [new LabelMatcher(MatchType.Regex, "__name__", "up|prometheus_tsdb_head_series|prometheus_http_requests_total")]))
            {
                var samples = Read(series).Where(x => x.T >= start && x.T <= lastT).ToList();
                if (samples.Count > 0)
                {
                    fromTraceLink[Key(series.Labels)] = samples;
                }
            }

            output.WriteLine($"compared {fromPrometheus.Count} series at t={lastT}");
            Assert.True(fromPrometheus.Count >= 3, "Prometheus returned too few series");
            Assert.Equal(fromPrometheus.Keys.Order(StringComparer.Ordinal), fromTraceLink.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, samples) in fromPrometheus)
            {
                Assert.Equal(samples, fromTraceLink[key]);
            }

            // A second Prometheus with no scrape targets reads the same data back through remote read.
            int readerPort = FreePort();
            string readerConfig = Path.Combine(dir, "reader.yml");
            await File.WriteAllTextAsync(readerConfig, $"""
                global:
                  scrape_interval: 1m
                remote_read:
                  - url: {host.Address}api/v1/read
                    read_recent: true
                """);
            reader = Start(binary, readerConfig, Path.Combine(dir, "reader-data"), readerPort);
            var viaRemoteRead = await QueryRangeVectorAsync(http, readerPort, lastT, "4s");
            Assert.Equal(fromPrometheus.Keys.Order(StringComparer.Ordinal), viaRemoteRead.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, samples) in fromPrometheus)
            {
                Assert.Equal(samples, viaRemoteRead[key]);
            }
        }
        finally
        {
            Stop(writer);
            Stop(reader);
            Directory.Delete(dir, true);
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> Logs = new();

    private static void Collect(string? line)
    {
        if (line is not null && Logs.Count < 200)
        {
            Logs.Enqueue(line);
        }
    }

    private static string? FindPrometheus()
    {
        foreach (var d in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            string p = Path.Combine(d, "prometheus");
            if (File.Exists(p))
            {
                return p;
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static Process Start(string binary, string config, string data, int port)
    {
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--config.file=" + config);
        psi.ArgumentList.Add("--storage.tsdb.path=" + data);
        psi.ArgumentList.Add("--web.listen-address=127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));
        var p = Process.Start(psi)!;
        // Drain both pipes: Prometheus logs to stderr and would block on a full pipe.
        p.OutputDataReceived += (_, e) => Collect(e.Data);
        p.ErrorDataReceived += (_, e) => Collect(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static void Stop(Process? p)
    {
        if (p is null)
        {
            return;
        }

        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
        }
        finally
        {
            p.Dispose();
        }
    }

    private static async Task<Dictionary<string, List<(long, double)>>> QueryRangeVectorAsync(HttpClient http, int port, long atMs, string range)
    {
        string time = (atMs / 1000.0).ToString("F3", CultureInfo.InvariantCulture);
        var uri = new Uri($"http://127.0.0.1:{port}/api/v1/query?query={Uri.EscapeDataString(Selector + "[" + range + "]")}&time={time}");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(uri);
                if (response.IsSuccessStatusCode)
                {
                    using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    var result = new Dictionary<string, List<(long, double)>>();
                    foreach (var series in doc.RootElement.GetProperty("data").GetProperty("result").EnumerateArray())
                    {
                        var labels = new List<TraceLink.Storage.Tsdb.Label>();
                        foreach (var p in series.GetProperty("metric").EnumerateObject())
                        {
                            labels.Add(new TraceLink.Storage.Tsdb.Label(p.Name, p.Value.GetString()!));
                        }

                        labels.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                        var values = new List<(long, double)>();
                        foreach (var v in series.GetProperty("values").EnumerateArray())
                        {
                            long t = (long)Math.Round(v[0].GetDouble() * 1000);
                            values.Add((t, double.Parse(v[1].GetString()!, CultureInfo.InvariantCulture)));
                        }

                        result[Key(labels)] = values;
                    }

                    return result;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException("Prometheus on port " + port + " did not answer");
            }

            await Task.Delay(250);
        }
    }

    private static string Key(IReadOnlyList<TraceLink.Storage.Tsdb.Label> labels) => string.Join(",", labels.Select(l => l.Name + "=" + l.Value));

    private static List<(long T, double V)> Read(ISeries series)
    {
        var list = new List<(long, double)>();
        var it = series.Iterator();
        while (it.Next() == SampleValueType.Float)
        {
            list.Add((it.AtTimestamp, it.AtFloat));
        }

        return list;
    }
}
