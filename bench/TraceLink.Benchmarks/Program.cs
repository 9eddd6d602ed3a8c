using BenchmarkDotNet.Running;
using TraceLink.Benchmarks.Load;

namespace TraceLink.Benchmarks;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "load-traces")
        {
            return await TraceLoad.RunAsync(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
