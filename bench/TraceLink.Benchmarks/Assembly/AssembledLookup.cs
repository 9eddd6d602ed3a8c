using System.Diagnostics;
using System.Globalization;

using Microsoft.Extensions.Logging.Abstractions;

using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Benchmarks.Load;
using TraceLink.Storage.Assembly;
using TraceLink.Storage.Spans;

namespace TraceLink.Benchmarks.Assembly;

/// <summary>
/// <c>assembled-lookup --spans N</c>: fills a FasterSpanStore with the trace-group linker as its observer (in
/// process, as the server wires them), mostly SDK traffic plus small sensor traces, with target traces of 200 spans
/// (195 sensor spans without a trace id, joined by tcp seqs and syscall ids, and 5 SDK spans) spread through the
/// fill; then looks every target up through the server's read path (<see cref="ITraceReader"/> on
/// <see cref="TraceAssembler"/>, i.e. the trace group) and through the query-time search fallback, and prints p50/p99.
/// </summary>
internal static class AssembledLookup
{
    private const int TargetCalls = 9;
    private const int TargetLeaves = 88;
    private const int TargetSpans = 1 + (2 * TargetCalls) + (2 * TargetLeaves) + 5;

    public static async Task<int> RunAsync(string[] args)
    {
        var spans = LongArg(args, "--spans", 5_000_000);
        var targets = (int)LongArg(args, "--targets", 200);
        var concurrency = (int)LongArg(args, "--concurrency", 4);
        var keep = Array.IndexOf(args, "--keep") >= 0;
        var data = StringArg(args, "--data") ?? Directory.CreateTempSubdirectory("tracelink-assembled-").FullName;
        const int BatchSpans = 1000;
        var batches = (int)Math.Max(targets, (spans + BatchSpans - 1) / BatchSpans);
        var targetEvery = Math.Max(1, batches / targets);

        Console.WriteLine($"assembled-lookup: filling {data} with about {(long)batches * BatchSpans:N0} spans in {batches:N0} batches ({targets} target traces of {TargetSpans} spans, concurrency {concurrency}) ...");
        var linker = new TraceGroupLinker(new TraceGroupLinkerOptions { DataDirectory = data });
        var options = new SpanStoreOptions { DataDirectory = data };
        options.Observers.Add(linker);
        var store = FasterSpanStore.Open(options, NullLogger.Instance);
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
            var next = -1;
            long stored = 0;
            var clock = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                int b;
                while ((b = Interlocked.Increment(ref next)) < batches)
                {
                    var request = Batch(b, targetEvery, targets, now + (b * 1_000_000L));
                    Interlocked.Add(ref stored, await store.AppendAsync(request, CancellationToken.None));
                    if (b % 500 == 0 && b > 0)
                    {
                        Console.WriteLine($"  {Interlocked.Read(ref stored):N0} spans, {Interlocked.Read(ref stored) / clock.Elapsed.TotalSeconds:N0} spans/s");
                    }
                }
            })));
            clock.Stop();
            var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            Console.WriteLine($"fill: {stored:N0} spans in {clock.Elapsed.TotalSeconds:F1} s = {stored / clock.Elapsed.TotalSeconds:N0} spans/s; process CPU {cpuUsed.TotalSeconds:F1} s = {cpuUsed.TotalMicroseconds / stored:F1} µs/span (generation included); data {DirectorySize(data) / (1 << 20):N0} MiB");

            var reader = new TraceAssembler(store, new TraceAssemblerOptions(), linker);
            var groupTimes = new List<double>();
            var searchTimes = new List<double>();
            var readTimes = new List<double>();
            var members = new List<long>();
            int groupMin = int.MaxValue, groupMax = 0, searchMin = int.MaxValue, searchMax = 0;
            for (var round = 0; round < 2; round++)
            {
                for (var t = 0; t < targets; t++)
                {
                    var traceId = SensorTraces.TraceId(TargetId(t));
                    var started = Stopwatch.GetTimestamp();
                    var count = ((ITraceReader)reader).GetTrace(traceId).Count;
                    groupTimes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    groupMin = Math.Min(groupMin, count);
                    groupMax = Math.Max(groupMax, count);

                    // The group read's parts: member locators from the linker, then one span-log read per member.
                    started = Stopwatch.GetTimestamp();
                    members.Clear();
                    linker.TryGetTraceSpans(traceId, members);
                    foreach (var locator in members)
                    {
                        _ = store.Read(locator);
                    }

                    readTimes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);

                    started = Stopwatch.GetTimestamp();
                    count = reader.Search(traceId)?.Spans.Count ?? 0;
                    searchTimes.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    searchMin = Math.Min(searchMin, count);
                    searchMax = Math.Max(searchMax, count);
                }
            }

            Report("trace group (ITraceReader.GetTrace, the server's read path)", groupTimes, groupMin, groupMax, stored);
            Report("of which: group members + span-log reads, no assembly", readTimes, groupMin, groupMax, stored);
            Report("query-time search fallback (TraceAssembler.Search)", searchTimes, searchMin, searchMax, stored);
        }
        finally
        {
            await store.DisposeAsync();
            linker.Dispose();
            if (!keep && StringArg(args, "--data") is null)
            {
                Directory.Delete(data, recursive: true);
            }
        }

        return 0;
    }

    private static int TargetId(int t) => 1_000_000 + t;

    private static ExportTraceServiceRequest Batch(int b, int targetEvery, int targets, long now)
    {
        var request = SpanBatches.Create(b, 100, 10);

        // Background sensor traffic: one small sensor trace (19 spans) per batch, shaped like the targets.
        request.ResourceSpans.Add(SensorTraces.Create(b, now, calls: 3, leaves: 6, traceId: default));
        if (b % targetEvery == 0 && b / targetEvery < targets)
        {
            var n = TargetId(b / targetEvery);
            request.ResourceSpans.Add(SensorTraces.Create(n, now, TargetCalls, TargetLeaves, SensorTraces.TraceId(n)));
        }

        return request;
    }

    private static void Report(string label, List<double> times, int min, int max, long stored)
    {
        times.Sort();
        var p50 = times[times.Count / 2];
        var p99 = times[Math.Min(times.Count - 1, (int)(times.Count * 0.99))];
        Console.WriteLine($"[{label}] {times.Count} lookups of {TargetSpans}-span assembled traces in {stored:N0} spans: p50 {p50:F2} ms, p99 {p99:F2} ms, max {times[^1]:F2} ms; spans found min {min} max {max}; ratio of p99 to the 20 ms target: {p99 / 20:F2}");
    }

    private static long DirectorySize(string path)
    {
        long total = 0;
        foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            total += file.Length;
        }

        return total;
    }

    private static long LongArg(string[] args, string name, long fallback)
    {
        var value = StringArg(args, name);
        return value is null ? fallback : long.Parse(value, CultureInfo.InvariantCulture);
    }

    private static string? StringArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
