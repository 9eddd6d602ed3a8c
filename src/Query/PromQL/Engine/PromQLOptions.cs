namespace TraceLink.Query.PromQL.Engine;

/// <summary>Engine limits and defaults (Prometheus flags <c>--query.*</c>).</summary>
public sealed class PromQLOptions
{
    /// <summary>Lookback delta for instant selectors (<c>--query.lookback-delta</c>, 5m).</summary>
    public TimeSpan LookbackDelta { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Maximum samples a query may hold in memory (<c>--query.max-samples</c>, 50,000,000).</summary>
    public int MaxSamples { get; set; } = 50_000_000;

    /// <summary>Query timeout (<c>--query.timeout</c>, 2m).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Default subquery step when none is given (the global evaluation interval, 1m).</summary>
    public TimeSpan DefaultSubqueryStep { get; set; } = TimeSpan.FromMinutes(1);
}
