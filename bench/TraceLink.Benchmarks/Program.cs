using BenchmarkDotNet.Running;
using TraceLink.Benchmarks.Load;
using TraceLink.Benchmarks.PromQL;
using TraceLink.Benchmarks.Spans;

namespace TraceLink.Benchmarks;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // Load tools run end to end and stop by themselves; everything else goes to BenchmarkDotNet.
        switch (args.Length > 0 ? args[0] : string.Empty)
        {
            case "load-traces":
                return await TraceLoad.RunAsync(args[1..]);
            case "promql-vs-prometheus":
                return await PromQLVsPrometheus.RunAsync(args);
            case "spanstore-latency":
                return await SpanStoreLatency.RunAsync(args);
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }
}
