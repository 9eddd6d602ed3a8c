using System.Diagnostics;
using System.Globalization;

using Microsoft.Extensions.Logging.Abstractions;

using TraceLink.Storage.Spans;

namespace TraceLink.Benchmarks.Spans;

/// <summary>
/// Console harness (<c>dotnet run -c Release --project bench/TraceLink.Benchmarks -- spanstore-latency [spans]</c>):
/// loads a store with 1M spans in 1000-span batches, then measures GetTrace latency percentiles for random traces.
/// Prints numbers only; nothing asserts on time.
/// </summary>
internal static class SpanStoreLatency
{
    public static async Task<int> RunAsync(string[] args)
    {
        int total = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
        string directory = Path.Combine(Path.GetTempPath(), "tracelink-latency-" + Guid.NewGuid().ToString("N"));
        try
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
            var options = new SpanStoreOptions { DataDirectory = directory, IndexMemorySize = 1L << 30, IndexTableSize = 1L << 25 };
            await using FasterSpanStore store = FasterSpanStore.Open(options, NullLogger.Instance);
            const int Batch = 1000;
            int batches = total / Batch;
            // Requests are built outside the timed region (in groups), then appended by two concurrent writers,
            // as two ingest requests would be on a 2-core box.
            const int Group = 50;
            TimeSpan wall = TimeSpan.Zero;
            TimeSpan cpu = TimeSpan.Zero;
            long allocated = 0;
            for (int g = 0; g < batches; g += Group)
            {
                var requests = Enumerable.Range(g, Math.Min(Group, batches - g)).Select(b => BenchSpans.Request(b, Batch, now + (b * 1_000_000L))).ToArray();
                var clock = Stopwatch.StartNew();
                TimeSpan cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
                long allocatedStart = GC.GetTotalAllocatedBytes(precise: true);
                await Task.WhenAll(Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
                {
                    for (int i = w; i < requests.Length; i += 2)
                    {
                        await store.AppendAsync(requests[i], CancellationToken.None);
                    }
                })));
                wall += clock.Elapsed;
                allocated += GC.GetTotalAllocatedBytes(precise: true) - allocatedStart;
                cpu += Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
            }

            Console.WriteLine($"append: {total:N0} spans in {wall.TotalSeconds:F2} s => {total / wall.TotalSeconds:N0} spans/s wall, {total / cpu.TotalSeconds:N0} spans per CPU-second, {allocated / total} B allocated per span (2 appenders, 1000-span batches)");

            var random = new Random(7);
            int traces = total / 10;
            var latencies = new double[20_000];
            int found = 0;
            for (int i = 0; i < latencies.Length; i++)
            {
                byte[] traceId = new byte[16];
                BitConverter.TryWriteBytes(traceId, (long)random.Next(traces) + 1);
                BitConverter.TryWriteBytes(traceId.AsSpan(8), 0x5EED_5EED_5EEDL);
                long t0 = Stopwatch.GetTimestamp();
                found += store.GetTrace(traceId).Count;
                latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }

            Array.Sort(latencies);
            Console.WriteLine($"GetTrace on {total:N0} spans ({latencies.Length:N0} random traces, {found / (double)latencies.Length:F1} spans each): " +
                $"p50 {latencies[latencies.Length / 2]:F3} ms, p99 {latencies[(int)(latencies.Length * 0.99)]:F3} ms, max {latencies[^1]:F3} ms");
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
