using System.Net;

namespace TraceLink.Server.Cli;

/// <summary>Settings of one <c>tracelink</c> invocation, validated by <see cref="CommandLine"/>.</summary>
internal sealed class CliOptions
{
    /// <summary><c>serve</c> (default) or <c>sensor</c>.</summary>
    public string Command { get; set; } = "serve";

    public string DataDirectory { get; set; } = "./data";

    public IPEndPoint Listen { get; set; } = new(IPAddress.Any, 3200);

    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    public long MaxRequestBytes { get; set; } = 16L << 20;

    /// <summary>How often span-derived RED metrics are written to the TSDB.</summary>
    public TimeSpan MetricsFlushInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Span-derived RED metrics and logs on (default) or off.</summary>
    public bool DerivedSignals { get; set; } = true;

    /// <summary>Ingest-time trace-group linking on (default) or off (traces are then assembled at query time only).</summary>
    public bool TraceLinking { get; set; } = true;

    /// <summary><c>serve --sensor</c>: run the eBPF sensor in-process.</summary>
    public bool Sensor { get; set; }

    /// <summary><c>sensor --export URL</c>: the server the agent sends spans to.</summary>
    public Uri? ExportUrl { get; set; }

    /// <summary>Sensor filter: only these process ids (empty: all).</summary>
    public List<int> SensorPids { get; } = [];

    /// <summary>Sensor filter: only processes with these names (empty: all).</summary>
    public List<string> SensorProcesses { get; } = [];

    /// <summary>Sensor filter: only connections on these ports (empty: all).</summary>
    public List<int> SensorPorts { get; } = [];
}
