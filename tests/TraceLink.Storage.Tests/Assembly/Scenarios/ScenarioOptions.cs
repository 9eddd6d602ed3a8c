namespace TraceLink.Storage.Tests.Assembly.Scenarios;

/// <summary>Knobs of the scenario generator.</summary>
internal sealed class ScenarioOptions
{
    public int Traces { get; init; } = 1000;

    public int Seed { get; init; } = 7;

    /// <summary>All traces start inside this window, so most of them run concurrently.</summary>
    public TimeSpan StartWindow { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Largest clock offset of a host (uniform in ±this).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Threads a thread-per-request service starts with; more are added only when all are busy.</summary>
    public int ThreadPoolSize { get; init; } = 8;

    /// <summary>
    /// Chance that an <c>orders</c> request also calls <c>notify</c>, an event-loop app without X-Request-ID whose calls
    /// no key can attribute (DeepFlow's known limit): they cost recall, and must not cost precision.
    /// </summary>
    public double EventLoopAppCallRate { get; init; } = 0.1;

    /// <summary>Share of new connections that reuse another connection's initial sequence numbers (seq collisions).</summary>
    public double SeqCollisionRate { get; init; } = 0.05;
}
