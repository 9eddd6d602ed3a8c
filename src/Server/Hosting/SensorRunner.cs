using System.Runtime.InteropServices;
using TraceLink.Sensor;
using TraceLink.Sensor.Export;
using TraceLink.Server.Cli;

namespace TraceLink.Server.Hosting;

/// <summary>Runs the eBPF sensor as an agent (<c>tracelink sensor</c>) or beside the server (<c>serve --sensor</c>).</summary>
internal static class SensorRunner
{
    /// <summary>Sensor options from the command-line filters.</summary>
    public static SensorOptions Options(CliOptions cli)
    {
        var options = new SensorOptions { ExportUrl = cli.ExportUrl };
        foreach (var pid in cli.SensorPids)
        {
            options.Pids.Add(pid);
        }

        foreach (var name in cli.SensorProcesses)
        {
            options.ProcessNames.Add(name);
        }

        foreach (var port in cli.SensorPorts)
        {
            options.Ports.Add(port);
        }

        return options;
    }

    /// <summary>Throws a one-line <see cref="StartupException"/> when this machine cannot run the sensor.</summary>
    public static void EnsureSupported()
    {
        if (SensorHost.Check() is { } missing)
        {
            throw new StartupException("cannot start the sensor: " + missing);
        }
    }

    /// <summary><c>tracelink sensor --export URL</c>: sends spans to a server until SIGINT/SIGTERM.</summary>
    public static async Task<int> RunAgentAsync(CliOptions cli)
    {
        EnsureSupported();
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        }));
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using var exporter = new OtlpHttpExporter(cli.ExportUrl!);
        using var sensor = new SensorHost(Options(cli), loggers);
        Console.WriteLine($"tracelink sensor exporting to {exporter.Endpoint}");
        try
        {
            await sensor.RunAsync(exporter.ExportAsync, stop.Token);
        }
        catch (SensorException e)
        {
            throw new StartupException("cannot start the sensor: " + e.Message, e);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return 0;
    }
}
