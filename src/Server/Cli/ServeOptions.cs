using System.Net;

namespace TraceLink.Server.Cli;

/// <summary>Settings of <c>tracelink serve</c>, validated by <see cref="CommandLine"/>.</summary>
internal sealed class ServeOptions
{
    public string DataDirectory { get; set; } = "./data";

    public IPEndPoint Listen { get; set; } = new(IPAddress.Any, 3200);

    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    public long MaxRequestBytes { get; set; } = 16L << 20;

    public bool Sensor { get; set; }
}
