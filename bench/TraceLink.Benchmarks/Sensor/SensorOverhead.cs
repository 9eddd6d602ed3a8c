using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Sensor;

namespace TraceLink.Benchmarks.Sensor;

/// <summary>
/// Console harness (<c>sudo dotnet run -c Release --project bench/TraceLink.Benchmarks -- sensor-overhead [seconds] [connections] [rounds]</c>):
/// loopback keep-alive load against nginx, alternating runs without (A) and with (B) the eBPF sensor attached
/// (A/B/A/B... in one invocation, to share the machine's noise), then prints throughput, latency, the change
/// between A and B, the CPU of the sensor's ring-buffer thread per 10k events/s and nginx's CPU per request
/// (the BPF programs run in nginx's context, so their cost shows there). Prints numbers only; asserts nothing.
/// </summary>
internal static class SensorOverhead
{
    private const string Nginx = "/usr/sbin/nginx";
    private const string ReaderThreadComm = "tracelink-senso"; // "tracelink-sensor-ringbuf" cut to the kernel's 15 characters
    private static readonly double ClockTicks = 100; // USER_HZ on Linux

    public static async Task<int> RunAsync(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        int connections = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
        int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
        if (SensorHost.Check() is { } reason || (reason = File.Exists(Nginx) ? null : "nginx is not installed") is not null)
        {
            Console.Error.WriteLine("sensor-overhead: " + reason);
            return 2;
        }

        string dir = Directory.CreateTempSubdirectory("tracelink-overhead-").FullName;
        int port = FreePort();
        await File.WriteAllTextAsync(Path.Combine(dir, "hello.txt"), new string('x', 64));
        await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), NginxConfig(dir, port));
        using var nginx = Process.Start(new ProcessStartInfo(Nginx, $"-p {dir} -c {dir}/nginx.conf") { UseShellExecute = false })
            ?? throw new InvalidOperationException("cannot start nginx");
        try
        {
            await WaitListeningAsync(port);
            var duration = TimeSpan.FromSeconds(seconds);
            Console.WriteLine($"sensor-overhead: nginx (1 worker) on 127.0.0.1:{port}, {connections} keep-alive connections, {seconds:F0} s per run, {rounds} A/B rounds");
            await KeepAliveLoad.RunAsync(port, "/hello.txt", connections, TimeSpan.FromSeconds(1)); // warm-up
            var without = new List<Run>();
            var with = new List<Run>();
            for (int round = 1; round <= rounds; round++)
            {
                without.Add(Print("A no sensor", await MeasureAsync(nginx.Id, port, connections, duration, sensor: false)));
                with.Add(Print("B sensor   ", await MeasureAsync(nginx.Id, port, connections, duration, sensor: true)));
            }

            Summarise(without, with);
            return 0;
        }
        finally
        {
            nginx.Kill();
            await nginx.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<Run> MeasureAsync(int nginxPid, int port, int connections, TimeSpan duration, bool sensor)
    {
        if (!sensor)
        {
            double nginxCpu0 = ProcessCpuSeconds($"/proc/{nginxPid}/stat");
            var result = await KeepAliveLoad.RunAsync(port, "/hello.txt", connections, duration);
            return new Run(result, ProcessCpuSeconds($"/proc/{nginxPid}/stat") - nginxCpu0, 0, 0, 0, 0);
        }

        var options = new SensorOptions();
        options.Ports.Add(port);
        long spans = 0;
        using var host = new SensorHost(options);
        using var stop = new CancellationTokenSource();
        var running = host.RunAsync((request, _) =>
        {
            foreach (var resourceSpans in request.ResourceSpans)
            {
                foreach (var scope in resourceSpans.ScopeSpans)
                {
                    Interlocked.Add(ref spans, scope.Spans.Count);
                }
            }

            return ValueTask.CompletedTask;
        }, stop.Token);
        await host.Started;
        string readerStat = ReaderThreadStat() ?? throw new InvalidOperationException("sensor reader thread not found");
        var before = host.Statistics;
        double readerCpu0 = ProcessCpuSeconds(readerStat);
        double nginxCpu = ProcessCpuSeconds($"/proc/{nginxPid}/stat");
        var load = await KeepAliveLoad.RunAsync(port, "/hello.txt", connections, duration);
        nginxCpu = ProcessCpuSeconds($"/proc/{nginxPid}/stat") - nginxCpu;
        double readerCpu = ProcessCpuSeconds(readerStat) - readerCpu0;
        await Task.Delay(300); // let the last flush reach the sink
        var after = host.Statistics;
        await stop.CancelAsync();
        await running;
        return new Run(load, nginxCpu, readerCpu, after.RecordsRead - before.RecordsRead, after.RingBufferDrops, Interlocked.Read(ref spans));
    }

    private static Run Print(string label, Run run)
    {
        var load = run.Load;
        string sensor = run.Events > 0
            ? $", {run.Events / load.Elapsed.TotalSeconds:N0} events/s, {run.Spans:N0} spans, {run.Drops} drops, sensor thread {100 * run.ReaderCpu / load.Elapsed.TotalSeconds:F1}% of a core"
            : string.Empty;
        Console.WriteLine($"{label}: {load.RequestsPerSecond,9:N0} req/s  p50 {load.P50Us,5} us  p99 {load.P99Us,6} us  nginx {1e6 * run.NginxCpu / load.Requests:F1} us CPU/req{sensor}");
        return run;
    }

    private static void Summarise(List<Run> without, List<Run> with)
    {
        double rpsA = Mean(without, r => r.Load.RequestsPerSecond);
        double rpsB = Mean(with, r => r.Load.RequestsPerSecond);
        double p50A = Mean(without, r => r.Load.P50Us), p50B = Mean(with, r => r.Load.P50Us);
        double p99A = Mean(without, r => r.Load.P99Us), p99B = Mean(with, r => r.Load.P99Us);
        double nginxA = Mean(without, r => 1e6 * r.NginxCpu / r.Load.Requests);
        double nginxB = Mean(with, r => 1e6 * r.NginxCpu / r.Load.Requests);
        double eventsPerSecond = Mean(with, r => r.Events / r.Load.Elapsed.TotalSeconds);
        double readerCore = Mean(with, r => r.ReaderCpu / r.Load.Elapsed.TotalSeconds);
        Console.WriteLine();
        Console.WriteLine($"throughput: A {rpsA:N0} req/s, B {rpsB:N0} req/s => loss {100 * (rpsA - rpsB) / rpsA:F1}%");
        Console.WriteLine($"latency:    p50 A {p50A:F0} us, B {p50B:F0} us ({100 * (p50B - p50A) / p50A:+0.0;-0.0}%); p99 A {p99A:F0} us, B {p99B:F0} us ({100 * (p99B - p99A) / p99A:+0.0;-0.0}%)");
        Console.WriteLine($"nginx CPU:  A {nginxA:F1} us/req, B {nginxB:F1} us/req (+{nginxB - nginxA:F1} us/req in-kernel capture)");
        Console.WriteLine($"sensor:     {eventsPerSecond:N0} events/s, reader thread {100 * readerCore:F1}% of a core => {100 * readerCore / (eventsPerSecond / 10_000):F1}% of a core per 10k events/s");
    }

    private static double Mean(List<Run> runs, Func<Run, double> value)
    {
        double sum = 0;
        foreach (var run in runs)
        {
            sum += value(run);
        }

        return sum / runs.Count;
    }

    /// <summary>utime + stime of a process or thread from its <c>stat</c> file, in seconds.</summary>
    private static double ProcessCpuSeconds(string statPath)
    {
        string stat = File.ReadAllText(statPath);
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicks;
    }

    private static string? ReaderThreadStat()
    {
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == ReaderThreadComm)
            {
                return Path.Combine(task, "stat");
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitListeningAsync(int port)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (attempt < 100)
            {
                await Task.Delay(50);
            }
        }
    }

    private static string NginxConfig(string dir, int port) => $$"""
        daemon off;
        master_process off;
        worker_processes 1;
        pid {{dir}}/nginx.pid;
        error_log {{dir}}/error.log;
        events { worker_connections 1024; }
        http {
          access_log off;
          keepalive_requests 10000000;
          keepalive_timeout 300s;
          client_body_temp_path {{dir}}/body;
          proxy_temp_path {{dir}}/proxy;
          fastcgi_temp_path {{dir}}/fastcgi;
          uwsgi_temp_path {{dir}}/uwsgi;
          scgi_temp_path {{dir}}/scgi;
          server {
            listen 127.0.0.1:{{port}};
            root {{dir}};
          }
        }
        """;

    private sealed record Run(LoadResult Load, double NginxCpu, double ReaderCpu, long Events, long Drops, long Spans);
}
