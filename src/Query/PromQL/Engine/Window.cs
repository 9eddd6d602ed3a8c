namespace TraceLink.Query.PromQL.Engine;

/// <summary>The samples of one series inside a range window.</summary>
internal readonly ref struct Window(ReadOnlySpan<FloatPoint> floats, ReadOnlySpan<HistogramPoint> histograms)
{
    public ReadOnlySpan<FloatPoint> Floats { get; } = floats;

    public ReadOnlySpan<HistogramPoint> Histograms { get; } = histograms;
}
