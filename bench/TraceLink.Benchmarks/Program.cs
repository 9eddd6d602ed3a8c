using BenchmarkDotNet.Running;

using TraceLink.Benchmarks.Spans;

namespace TraceLink.Benchmarks;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "spanstore-latency")
        {
            return await SpanStoreLatency.RunAsync(args);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
