namespace TraceLink.Storage.Tsdb;

/// <summary>One selected series: its sorted label set and an iterator over its samples in the selected range.</summary>
public interface ISeries
{
    /// <summary>Labels sorted by name, including <c>__name__</c>.</summary>
    IReadOnlyList<Label> Labels { get; }

    /// <summary>A fresh iterator over the series' samples.</summary>
    ISeriesIterator Iterator();
}
