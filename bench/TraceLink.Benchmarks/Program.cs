using BenchmarkDotNet.Running;
using TraceLink.Benchmarks.Assembly;
using TraceLink.Benchmarks.Load;
using TraceLink.Benchmarks.PromQL;
using TraceLink.Benchmarks.Sensor;
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
            case "load-remote-write":
                return await RemoteWriteLoad.RunAsync(args[1..]);
            case "assembled-lookup":
                return await AssembledLookup.RunAsync(args[1..]);
            case "promql-vs-prometheus":
                return await PromQLVsPrometheus.RunAsync(args);
            case "spanstore-latency":
                return await SpanStoreLatency.RunAsync(args);
            case "sensor-overhead":
                return await SensorOverhead.RunAsync(args[1..]);
            case "sensor-load":
                return await SensorOverhead.LoadChildAsync(args[1..]);
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
                return 0;
        }
    }
}
