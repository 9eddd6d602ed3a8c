namespace TraceLink.Sensor;

/// <summary>What the eBPF sensor traces and how much of each request and response it keeps.</summary>
public sealed class SensorOptions
{
    /// <summary>Largest payload the BPF programs copy per syscall (their compile-time ceiling).</summary>
    public const int MaxPayloadBytes = 4096;

    /// <summary>Only these process ids (thread-group ids); empty traces every process.</summary>
    public IList<int> Pids { get; } = [];

    /// <summary>Only threads whose command name (<c>comm</c>, at most 15 characters) is listed; empty traces all.</summary>
    public IList<string> ProcessNames { get; } = [];

    /// <summary>Only sockets whose local or remote port is listed; empty traces all TCP sockets.</summary>
    public IList<int> Ports { get; } = [];

    /// <summary>Payload bytes copied per send/receive call (1..4096).</summary>
    public int PayloadBytes { get; set; } = MaxPayloadBytes;

    /// <summary>Body bytes kept per request and per response.</summary>
    public int MaxBodyBytes { get; set; } = 4096;

    /// <summary>Longest request/status line plus header section that is parsed.</summary>
    public int MaxHeaderBytes { get; set; } = 16 * 1024;

    /// <summary>Headers recorded as span attributes, per side; further headers are dropped.</summary>
    public int MaxHeaderAttributes { get; set; } = 32;

    /// <summary>Header names (case-insensitive) recorded as attributes; empty records every header up to the limit.</summary>
    public IList<string> CaptureHeaders { get; } = [];

    /// <summary>Headers whose value is replaced by <c>[REDACTED]</c> before anything leaves the sensor.</summary>
    public IList<string> RedactHeaders { get; } = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"];

    /// <summary>Headers carrying a request id set by proxies (the first present one is used).</summary>
    public IList<string> RequestIdHeaders { get; } = ["x-request-id"];

    /// <summary>Process name to <c>service.name</c>; unmapped processes use their process name.</summary>
    public IDictionary<string, string> ServiceNames { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Where <see cref="Export.OtlpHttpExporter"/> sends spans (the server's base URL); null for in-process use.</summary>
    public Uri? ExportUrl { get; set; }

    /// <summary>Also trace the sensor's own process (off by default so exports do not trace themselves).</summary>
    public bool TraceSelf { get; set; }

    /// <summary>Attach the libssl uprobes for TLS plaintext.</summary>
    public bool CaptureTls { get; set; } = true;

    /// <summary>libssl to probe; null finds the system's <c>libssl.so.3</c>.</summary>
    public string? LibSslPath { get; set; }

    /// <summary>Size of the BPF ring buffer in bytes (a power of two, at least 64 KiB).</summary>
    public int RingBufferBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// Pending ring-buffer bytes that wake the reader early; below it the reader polls on a timer. Small enough that
    /// a drain is short (about 100 records): the reader's bursts then delay the traced processes' requests less
    /// (`sensor-overhead`: p99 +100 % instead of +180–210 % with 256 KiB).
    /// </summary>
    public int WakeupBytes { get; set; } = 32 * 1024;

    /// <summary>How often finished spans are handed to the sink.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Spans per export request at most.</summary>
    public int MaxSpansPerExport { get; set; } = 512;

    /// <summary>Connections without traffic for this long are forgotten.</summary>
    public TimeSpan ConnectionIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Returns a one-line description of the first invalid setting, or null when all are valid.</summary>
    public string? Validate()
    {
        if (PayloadBytes is < 1 or > MaxPayloadBytes)
        {
            return $"sensor payload size must be between 1 and {MaxPayloadBytes} bytes, got {PayloadBytes}";
        }

        if (MaxBodyBytes < 0 || MaxHeaderBytes < 256 || MaxHeaderAttributes < 0)
        {
            return "sensor body/header limits must be non-negative and the header section limit at least 256 bytes";
        }

        if (RingBufferBytes < 64 * 1024 || (RingBufferBytes & (RingBufferBytes - 1)) != 0)
        {
            return $"sensor ring buffer size must be a power of two of at least 65536 bytes, got {RingBufferBytes}";
        }

        foreach (int port in Ports)
        {
            if (port is < 1 or > 65535)
            {
                return $"sensor port filter {port} is not a TCP port";
            }
        }

        foreach (string name in ProcessNames)
        {
            if (name.Length is 0 or > 15)
            {
                return $"sensor process name '{name}' must be 1 to 15 characters (the kernel's comm)";
            }
        }

        if (ExportUrl is { } url && url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
        {
            return $"sensor export URL must be http or https, got {url}";
        }

        if (FlushInterval <= TimeSpan.Zero || MaxSpansPerExport < 1)
        {
            return "sensor flush interval and spans per export must be positive";
        }

        return null;
    }
}
