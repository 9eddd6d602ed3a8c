using TraceLink.Server.Cli;
using TraceLink.Server.Hosting;

namespace TraceLink.Server;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var options = CommandLine.Parse(args, out var error, out var help);
        if (help)
        {
            Console.WriteLine(CommandLine.Usage);
            return 0;
        }

        if (options is null)
        {
            await Console.Error.WriteLineAsync("tracelink: " + error);
            return 2;
        }

        try
        {
            return options.Command == "sensor"
                ? await SensorRunner.RunAgentAsync(options)
                : await ServerHost.RunAsync(options, CancellationToken.None);
        }
        catch (StartupException e)
        {
            await Console.Error.WriteLineAsync("tracelink: " + e.Message);
            return 1;
        }
    }
}
