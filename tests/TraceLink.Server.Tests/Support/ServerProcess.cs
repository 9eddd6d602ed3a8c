using System.Diagnostics;
using System.Text;

namespace TraceLink.Server.Tests.Support;

/// <summary>
/// Runs the real <c>tracelink</c> executable as a child process on a free loopback port and reads the
/// bound address from its first stdout line.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, Uri address)
    {
        _process = process;
        BaseAddress = address;
    }

    /// <summary>Base URL of the running server, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Process id of the server.</summary>
    public int Pid => _process.Id;

    /// <summary>Starts <c>tracelink serve --data dataDirectory --listen 127.0.0.1:0</c> plus extra args.</summary>
    public static async Task<ServerProcess> StartAsync(string dataDirectory, params string[] extraArgs)
    {
        var (process, lines) = Launch(["serve", "--data", dataDirectory, "--listen", "127.0.0.1:0", .. extraArgs]);
        var seen = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await lines.Reader.ReadAsync(timeout.Token).AsTask().ConfigureAwait(false);
            if (line is null)
            {
                throw new InvalidOperationException("tracelink exited before listening:\n" + seen);
            }

            seen.AppendLine(line);

            const string prefix = "tracelink listening on ";
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                var address = new Uri(line[prefix.Length..line.IndexOf(' ', prefix.Length)]);
                var started = new ServerProcess(process, address);
                started._output.Append(seen);
                _ = PumpAsync(lines, started._output);
                return started;
            }
        }
    }

    /// <summary>Runs <c>tracelink</c> with arguments to completion; returns exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Kills the server with SIGKILL, as a crash would.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>Asks the server to stop with SIGTERM and waits for a clean exit; returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tracelink.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }

    private static (Process Process, System.Threading.Channels.Channel<string?> Lines) Launch(string[] args)
    {
        var lines = System.Threading.Channels.Channel.CreateUnbounded<string?>();
        var process = new Process { StartInfo = StartInfo(args) };
        process.OutputDataReceived += (_, e) => lines.Writer.TryWrite(e.Data);
        process.ErrorDataReceived += (_, e) => lines.Writer.TryWrite(e.Data is null ? string.Empty : "stderr: " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, lines);
    }

    private static async Task PumpAsync(System.Threading.Channels.Channel<string?> lines, StringBuilder output)
    {
        await foreach (var line in lines.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (line is null)
            {
                continue;
            }

            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
