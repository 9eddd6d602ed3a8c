using System.Text;

using Microsoft.Extensions.Logging;

namespace TraceLink.Sensor.Native;

/// <summary>Receives libbpf's printf-style log lines and keeps the last warnings for error messages.</summary>
internal static unsafe partial class LibbpfLog
{
    private const int LibbpfWarn = 0;
    private const int LibbpfInfo = 1;
    private const int BufferSize = 64 * 1024;
    private static readonly Lock Gate = new();
    private static readonly Queue<string> LastWarnings = new();
    private static ILogger? _logger;
    private static bool _installed;

    /// <summary>Routes libbpf output to <paramref name="logger"/> from now on.</summary>
    public static void Install(ILogger logger)
    {
        lock (Gate)
        {
            _logger = logger;
            if (!_installed)
            {
                NativeMethods.libbpf_set_print(&NativeMethods.ForwardLibbpfLog);
                _installed = true;
            }
        }
    }

    /// <summary>The last few warning lines, joined, to explain a failed load or attach.</summary>
    public static string RecentWarnings()
    {
        lock (Gate)
        {
            return string.Join(" | ", LastWarnings);
        }
    }

    internal static void Write(int level, nint format, nint args)
    {
        if (level > LibbpfInfo)
        {
            return;
        }

        // verifier logs can be long; a va_list can be consumed only once, so format it in one go
        byte* buffer = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc(BufferSize);
        try
        {
            int n = NativeMethods.vsnprintf(buffer, BufferSize, format, args);
            if (n <= 0)
            {
                return;
            }

            string line = Encoding.UTF8.GetString(buffer, Math.Min(n, BufferSize - 1)).TrimEnd();
            lock (Gate)
            {
                if (level == LibbpfWarn)
                {
                    LastWarnings.Enqueue(line.Length > 400 ? line[..400] : line);
                    while (LastWarnings.Count > 4)
                    {
                        LastWarnings.Dequeue();
                    }
                }
            }

            if (_logger is { } logger)
            {
                if (level == LibbpfWarn)
                {
                    LogWarning(logger, line);
                }
                else
                {
                    LogInfo(logger, line);
                }
            }
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(buffer);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "libbpf: {Line}")]
    private static partial void LogWarning(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Debug, Message = "libbpf: {Line}")]
    private static partial void LogInfo(ILogger logger, string line);
}
