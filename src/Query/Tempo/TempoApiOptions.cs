namespace TraceLink.Query.Tempo;

/// <summary>
/// Limits and defaults of the Tempo-compatible API (<see cref="TempoEndpointRouteBuilderExtensions.MapTempoApi"/>).
/// Defaults follow Tempo's query-frontend where one exists.
/// </summary>
public sealed class TempoApiOptions
{
    /// <summary>Window searched when a request has no <c>start</c>/<c>end</c>: the last 24 hours.</summary>
    public TimeSpan DefaultSearchWindow { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Longest <c>end - start</c> a search may ask for (Tempo: 168h); <see cref="TimeSpan.Zero"/> disables the check.</summary>
    public TimeSpan MaxSearchWindow { get; set; } = TimeSpan.FromHours(168);

    /// <summary>Traces returned when <c>limit</c> is absent.</summary>
    public int DefaultLimit { get; set; } = 20;

    /// <summary>Largest accepted <c>limit</c>.</summary>
    public int MaxLimit { get; set; } = 262_144;

    /// <summary>Spans per spanset when <c>spss</c> is absent or 0.</summary>
    public int DefaultSpansPerSpanSet { get; set; } = 3;

    /// <summary>Largest accepted <c>spss</c>.</summary>
    public int MaxSpansPerSpanSet { get; set; } = 100;

    /// <summary>Most traces one search loads and evaluates before it answers with what it found.</summary>
    public int MaxTracesInspected { get; set; } = 20_000;

    /// <summary>Most spans one search reads (scan or index candidates) before it answers with what it found.</summary>
    public int MaxSpansInspected { get; set; } = 2_000_000;

    /// <summary>Most recent spans scanned for values of span-level intrinsics (<c>name</c>, <c>rootName</c>, ...).</summary>
    public int TagValuesScanSpans { get; set; } = 20_000;

    /// <summary>Version reported by <c>/api/status/buildinfo</c>; Grafana gates features on it (needs at least 2.7.0).</summary>
    public string Version { get; set; } = "2.9.0";

    /// <summary>Clock for default search windows; replaceable in tests.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
