using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Sensor;

namespace TraceLink.Benchmarks.Sensor;

/// <summary>
/// Console harness (<c>sudo dotnet run -c Release --project bench/TraceLink.Benchmarks -- sensor-overhead [seconds] [connections] [rounds] [offered%...]</c>):
/// loopback keep-alive load (a child process, so both its client sockets and nginx are traced) against nginx,
/// alternating runs without (A) and with (B) the eBPF sensor attached in this process (A/B/A/B... in one
/// invocation, to share the machine's noise), then prints throughput, latency, the change between A and B, the
/// CPU of the sensor's ring-buffer thread and of its whole process per 10k events/s, and nginx's CPU per request
/// (the BPF programs run in the traced processes' context, so their cost shows there). With
/// <c>kernel.bpf_stats_enabled=1</c> it also prints the kernel time of each BPF program per request. Each
/// further argument repeats the A/B rounds at a bounded (paced) offered load, in percent of the saturated A rate
/// (default: 50, 60 and 70); the last lines sum up every load.
/// Prints numbers only; asserts nothing.
/// </summary>
internal static class SensorOverhead
{
    private const string Nginx = "/usr/sbin/nginx";
    private const string ReaderThreadComm = "tracelink-senso"; // "tracelink-sensor-ringbuf" cut to the kernel's 15 characters
    private static readonly double ClockTicks = 100; // USER_HZ on Linux

    /// <summary>Offered loads (percent of the no-sensor saturation rate) measured when none are given.</summary>
    private static readonly double[] DefaultOfferedPercents = [50, 60, 70];

    public static async Task<int> RunAsync(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
        int connections = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
        int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
        // further arguments: offered loads in percent of the saturated no-sensor rate, measured A/B after the saturated runs
        var offeredPercents = new List<double>();
        foreach (string arg in args.Skip(3))
        {
            offeredPercents.Add(double.Parse(arg, CultureInfo.InvariantCulture));
        }

        if (offeredPercents.Count == 0)
        {
            offeredPercents.AddRange(DefaultOfferedPercents);
        }

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
            await RunLoadAsync(port, connections, TimeSpan.FromSeconds(1)); // warm-up (nginx, page cache)
            // warm-up of the sensor's code: a sensor runs for days, so its user-space path is measured at tier-1 JIT
            await MeasureAsync(nginx.Id, port, connections, TimeSpan.FromSeconds(2), sensor: true, 0);
            var without = new List<Run>();
            var with = new List<Run>();
            for (int round = 1; round <= rounds; round++)
            {
                without.Add(Print("A no sensor", await MeasureAsync(nginx.Id, port, connections, duration, sensor: false, 0)));
                with.Add(Print("B sensor   ", await MeasureAsync(nginx.Id, port, connections, duration, sensor: true, 0)));
            }

            var verdicts = new List<string> { "saturated (closed loop): " + Summarise(without, with) };
            double saturated = Mean(without, r => r.Load.RequestsPerSecond);
            foreach (double percent in offeredPercents)
            {
                double rate = saturated * percent / 100;
                Console.WriteLine();
                Console.WriteLine($"offered load {percent:F0}% of the no-sensor saturation rate = {rate:N0} req/s");
                var offeredWithout = new List<Run>();
                var offeredWith = new List<Run>();
                for (int round = 1; round <= rounds; round++)
                {
                    offeredWithout.Add(Print("A no sensor", await MeasureAsync(nginx.Id, port, connections, duration, sensor: false, rate)));
                    offeredWith.Add(Print("B sensor   ", await MeasureAsync(nginx.Id, port, connections, duration, sensor: true, rate)));
                }

                verdicts.Add($"bounded load {percent:F0}% ({rate:N0} req/s): " + Summarise(offeredWithout, offeredWith));
            }

            Console.WriteLine();
            Console.WriteLine("summary (throughput loss target < 5 % under a bounded load):");
            foreach (string verdict in verdicts)
            {
                Console.WriteLine("  " + verdict);
            }

            return 0;
        }
        finally
        {
            nginx.Kill();
            await nginx.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<Run> MeasureAsync(int nginxPid, int port, int connections, TimeSpan duration, bool sensor, double rate)
    {
        if (!sensor)
        {
            double nginxCpu0 = ProcessCpuSeconds($"/proc/{nginxPid}/stat");
            var idle0 = ProcessSample.Take();
            var result = await RunLoadAsync(port, connections, duration, rate);
            return new Run(result, ProcessCpuSeconds($"/proc/{nginxPid}/stat") - nginxCpu0, 0, 0, 0, 0)
            {
                Process = ProcessSample.Take() - idle0,
            };
        }

        var options = new SensorOptions();
        options.Ports.Add(port);
        using var host = new SensorHost(options);
        using var stop = new CancellationTokenSource();
        var running = host.RunAsync((_, _) => ValueTask.CompletedTask, stop.Token); // spans are counted by the host
        await host.Started;
        string readerStat = ReaderThreadStat() ?? throw new InvalidOperationException("sensor reader thread not found");
        var before = host.Statistics;
        long ringBytes0 = host.RingBytesRead;
        var programs0 = host.ReadProgramStats();
        var process0 = ProcessSample.Take();
        double readerCpu0 = ProcessCpuSeconds(readerStat);
        double nginxCpu = ProcessCpuSeconds($"/proc/{nginxPid}/stat");
        var load = await RunLoadAsync(port, connections, duration, rate);
        nginxCpu = ProcessCpuSeconds($"/proc/{nginxPid}/stat") - nginxCpu;
        double readerCpu = ProcessCpuSeconds(readerStat) - readerCpu0;
        var process = ProcessSample.Take() - process0;
        var programs = host.ReadProgramStats();
        await Task.Delay(300); // let the last flush reach the sink
        var after = host.Statistics;
        long ringBytes = host.RingBytesRead - ringBytes0;
        await stop.CancelAsync();
        await running;
        var kernel = new List<(string Program, long RunTimeNs, long RunCount)>(programs.Count);
        foreach (var (name, runTime, runCount) in programs)
        {
            var start = programs0.Find(p => p.Program == name);
            kernel.Add((name, runTime - start.RunTimeNs, runCount - start.RunCount));
        }

        return new Run(load, nginxCpu, readerCpu, after.RecordsRead - before.RecordsRead, after.RingBufferDrops, after.SpansExported - before.SpansExported)
        {
            Process = process,
            RingBytes = ringBytes,
            Kernel = kernel,
        };
    }

    /// <summary>
    /// Runs <see cref="KeepAliveLoad"/> in a child process (<c>sensor-load</c>): the sensor's GC pauses and threads do not
    /// stall the load generator (as they would not stall an application), and the generator's own sockets are traced
    /// like any other client's (the sensor never traces its own process).
    /// </summary>
    private static async Task<LoadResult> RunLoadAsync(int port, int connections, TimeSpan duration, double rate = 0)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
        };
        if (!Path.GetFileNameWithoutExtension(Environment.ProcessPath!).Equals("TraceLink.Benchmarks", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(typeof(SensorOverhead).Assembly.Location); // run through the dotnet host
        }

        foreach (string arg in (string[])["sensor-load", port.ToString(CultureInfo.InvariantCulture), connections.ToString(CultureInfo.InvariantCulture),
            duration.TotalSeconds.ToString(CultureInfo.InvariantCulture), rate.ToString(CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("cannot start the load generator");
        string output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        string[] fields = output.Trim().Split(' ');
        if (child.ExitCode != 0 || fields.Length != 5)
        {
            throw new InvalidOperationException($"load generator failed (exit {child.ExitCode}): {output}");
        }

        return new LoadResult(
            int.Parse(fields[0], CultureInfo.InvariantCulture),
            TimeSpan.FromTicks(long.Parse(fields[1], CultureInfo.InvariantCulture)),
            int.Parse(fields[2], CultureInfo.InvariantCulture),
            int.Parse(fields[3], CultureInfo.InvariantCulture),
            int.Parse(fields[4], CultureInfo.InvariantCulture));
    }

    /// <summary>The child side of <see cref="RunLoadAsync"/>: a short untimed warm-up (JIT), the measured run, one result line.</summary>
    public static async Task<int> LoadChildAsync(string[] args)
    {
        int port = int.Parse(args[0], CultureInfo.InvariantCulture);
        int connections = int.Parse(args[1], CultureInfo.InvariantCulture);
        var duration = TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture));
        double rate = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 0;
        await KeepAliveLoad.RunAsync(port, "/hello.txt", connections, TimeSpan.FromMilliseconds(300), rate);
        var result = await KeepAliveLoad.RunAsync(port, "/hello.txt", connections, duration, rate);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.Requests} {result.Elapsed.Ticks} {result.P50Us} {result.P99Us} {result.P99ScheduledUs}"));
        return 0;
    }

    private static Run Print(string label, Run run)
    {
        var load = run.Load;
        string sensor = run.Events > 0
            ? $", {run.Events / load.Elapsed.TotalSeconds:N0} events/s, {run.Spans:N0} spans, {run.Drops} drops, sensor thread {100 * run.ReaderCpu / load.Elapsed.TotalSeconds:F1}% of a core"
            : string.Empty;
        Console.WriteLine($"{label}: {load.RequestsPerSecond,9:N0} req/s  p50 {load.P50Us,5} us  p99 {load.P99Us,6} us (from schedule {load.P99ScheduledUs,6} us)  nginx {1e6 * run.NginxCpu / load.Requests:F1} us CPU/req{sensor}");
        var p = run.Process;
        string ring = run.Events > 0 ? $", ring {run.RingBytes / (double)run.Events:F0} B/event" : string.Empty;
        Console.WriteLine($"             sensor process {100 * p.CpuSeconds / load.Elapsed.TotalSeconds:F1}% of a core, {p.AllocatedBytes / (double)load.Requests:F0} B allocated/req, GCs gen0 {p.Gen0} gen1 {p.Gen1} gen2 {p.Gen2}, GC pause {p.PauseMs:F0} ms{ring}");
        long kernelNs = 0;
        foreach (var program in run.Kernel)
        {
            kernelNs += program.RunTimeNs;
        }

        if (kernelNs > 0)
        {
            Console.Write($"             BPF programs {kernelNs / 1e6 / load.Elapsed.TotalSeconds:F0} ms/s = {kernelNs / (double)load.Requests:F0} ns/req:");
            foreach (var (name, runTime, runCount) in run.Kernel)
            {
                if (runCount > 0)
                {
                    Console.Write($" {name} {runCount / (double)load.Requests:F2}x{runTime / (double)runCount:F0}ns");
                }
            }

            Console.WriteLine();
        }

        return run;
    }

    /// <summary>Prints the comparison of the A and B runs and returns its one-line gist (throughput loss, p99 change).</summary>
    private static string Summarise(List<Run> without, List<Run> with)
    {
        double rpsA = Mean(without, r => r.Load.RequestsPerSecond);
        double rpsB = Mean(with, r => r.Load.RequestsPerSecond);
        double p50A = Mean(without, r => r.Load.P50Us), p50B = Mean(with, r => r.Load.P50Us);
        double p99A = Mean(without, r => r.Load.P99Us), p99B = Mean(with, r => r.Load.P99Us);
        double lateA = Mean(without, r => r.Load.P99ScheduledUs), lateB = Mean(with, r => r.Load.P99ScheduledUs);
        double nginxA = Mean(without, r => 1e6 * r.NginxCpu / r.Load.Requests);
        double nginxB = Mean(with, r => 1e6 * r.NginxCpu / r.Load.Requests);
        double eventsPerSecond = Mean(with, r => r.Events / r.Load.Elapsed.TotalSeconds);
        double readerCore = Mean(with, r => r.ReaderCpu / r.Load.Elapsed.TotalSeconds);
        double processCore = Mean(with, r => r.Process.CpuSeconds / r.Load.Elapsed.TotalSeconds);
        double idleCore = Mean(without, r => r.Process.CpuSeconds / r.Load.Elapsed.TotalSeconds);
        Console.WriteLine();
        Console.WriteLine($"throughput: A {rpsA:N0} req/s, B {rpsB:N0} req/s => loss {100 * (rpsA - rpsB) / rpsA:F1}% (B/A {rpsB / rpsA:F3})");
        Console.WriteLine($"latency:    p50 A {p50A:F0} us, B {p50B:F0} us ({100 * (p50B - p50A) / p50A:+0.0;-0.0}%); p99 A {p99A:F0} us, B {p99B:F0} us ({100 * (p99B - p99A) / p99A:+0.0;-0.0}%); p99 from schedule A {lateA:F0} us, B {lateB:F0} us");
        Console.WriteLine($"nginx CPU:  A {nginxA:F1} us/req, B {nginxB:F1} us/req (+{nginxB - nginxA:F1} us/req in-kernel capture)");
        Console.WriteLine($"sensor:     {eventsPerSecond:N0} events/s, reader thread {100 * readerCore:F1}% of a core => {100 * readerCore / (eventsPerSecond / 10_000):F1}% of a core per 10k events/s");
        double sensorCore = processCore - idleCore;
        Console.WriteLine($"            whole sensor process (reader, GC, sink) {100 * sensorCore:F1}% of a core => {100 * sensorCore / (eventsPerSecond / 10_000):F1}% of a core per 10k events/s");
        return $"A {rpsA:N0} req/s, B {rpsB:N0} req/s, loss {100 * (rpsA - rpsB) / rpsA:F1}%, p99 {p99A:F0} -> {p99B:F0} us ({100 * (p99B - p99A) / p99A:+0;-0}%; from schedule {lateA:F0} -> {lateB:F0} us), " +
            $"sensor {100 * sensorCore / (eventsPerSecond / 10_000):F1}% of a core per 10k events/s";
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

    private sealed record Run(LoadResult Load, double NginxCpu, double ReaderCpu, long Events, long Drops, long Spans)
    {
        /// <summary>CPU, allocation and GC of this process (the sensor in B runs; idle in A runs).</summary>
        public ProcessSample Process { get; init; }

        public long RingBytes { get; init; }

        /// <summary>Kernel time per BPF program (zero unless <c>kernel.bpf_stats_enabled</c> is 1).</summary>
        public List<(string Program, long RunTimeNs, long RunCount)> Kernel { get; init; } = [];
    }

    private readonly record struct ProcessSample(double CpuSeconds, long AllocatedBytes, int Gen0, int Gen1, int Gen2, double PauseMs)
    {
        public static ProcessSample Take() => new(
            ProcessCpuSeconds("/proc/self/stat"),
            GC.GetTotalAllocatedBytes(),
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            GC.GetTotalPauseDuration().TotalMilliseconds);

        public static ProcessSample operator -(ProcessSample a, ProcessSample b) => new(
            a.CpuSeconds - b.CpuSeconds, a.AllocatedBytes - b.AllocatedBytes, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.PauseMs - b.PauseMs);
    }
}
