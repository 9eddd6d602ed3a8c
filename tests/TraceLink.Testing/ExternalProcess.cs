using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TraceLink.Testing;

/// <summary>A real program started for a test and killed when the test ends.</summary>
public sealed class ExternalProcess : IDisposable
{
    private readonly Process _process;

    private ExternalProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public static async Task<ExternalProcess> StartAsync(string file, string arguments, string workingDirectory, int port)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = new ExternalProcess(process);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return started;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                started.Dispose();
                throw new InvalidOperationException($"{file} {arguments} did not listen on port {port}");
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
