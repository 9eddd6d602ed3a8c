using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

/// <summary>One series of a vector or matrix result.</summary>
public sealed class ResultSeries(Label[] metric, IReadOnlyList<FloatPoint> floats, IReadOnlyList<HistogramPoint> histograms)
{
    /// <summary>Labels sorted by name.</summary>
    public Label[] Metric { get; } = metric;

    /// <summary>Float points in time order.</summary>
    public IReadOnlyList<FloatPoint> Floats { get; } = floats;

    /// <summary>Histogram points in time order.</summary>
    public IReadOnlyList<HistogramPoint> Histograms { get; } = histograms;
}
