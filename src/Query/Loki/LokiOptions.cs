namespace TraceLink.Query.Loki;

/// <summary>Limits and defaults of the Loki-compatible read API (names as Loki's limits_config).</summary>
public sealed class LokiOptions
{
    /// <summary>Entries returned when a query gives no <c>limit</c>.</summary>
    public int DefaultLimit { get; set; } = 100;

    /// <summary>Largest <c>limit</c> accepted (Loki's <c>max_entries_limit_per_query</c>).</summary>
    public int MaxEntriesLimit { get; set; } = 5000;

    /// <summary>Range a log query covers when <c>start</c> and <c>since</c> are absent.</summary>
    public TimeSpan DefaultLookback { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Range the label endpoints cover when <c>start</c> is absent.</summary>
    public TimeSpan DefaultLabelLookback { get; set; } = TimeSpan.FromHours(6);
}
