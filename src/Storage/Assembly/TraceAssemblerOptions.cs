namespace TraceLink.Storage.Assembly;

/// <summary>
/// Time tolerances and bounds of trace assembly. Defaults follow DeepFlow's
/// (<c>network_delay_us</c> 50 ms, <c>host_clock_offset_us</c> 10 ms, 30 search rounds).
/// </summary>
public sealed class TraceAssemblerOptions
{
    /// <summary>Largest delay between the two ends of one TCP exchange on the same host.</summary>
    public TimeSpan NetworkDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Largest clock difference between two hosts, added to <see cref="NetworkDelay"/> across hosts.</summary>
    public TimeSpan HostClockOffset { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Slack allowed when a server span must time-cover a client span of the same process (same clock).</summary>
    public TimeSpan SameHostSlack { get; set; } = TimeSpan.FromMilliseconds(0.1);

    /// <summary>Longest request a server span may take; bounds syscall, X-Request-ID and thread look-ups.</summary>
    public TimeSpan MaxTraceDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Rounds of the iterative search before it stops.</summary>
    public int MaxIterations { get; set; } = 30;

    /// <summary>Spans an assembled trace may hold; the search stops growing past it and marks the trace truncated.</summary>
    public int MaxSpans { get; set; } = 10_000;

    internal long CrossHostToleranceNanos => (NetworkDelay + HostClockOffset).Ticks * 100;

    internal long SlackNanos => SameHostSlack.Ticks * 100;

    internal long MaxTraceNanos => MaxTraceDuration.Ticks * 100;
}
