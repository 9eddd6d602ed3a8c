namespace TraceLink.Storage.Tsdb.Head;

/// <summary>Buffers one batch; <see cref="CommitAsync"/> validates it, logs it to the WAL and applies it atomically.</summary>
internal sealed class TsdbAppender(TsdbStore store) : ISampleAppender
{
    private IReadOnlyList<Label>? _lastLabels;
    private int _lastIndex = -1;

    public List<IReadOnlyList<Label>> LabelSets { get; } = [];

    public List<PendingSample> Samples { get; } = [];

    public List<(int SeriesIndex, Exemplar Exemplar)> PendingExemplars { get; } = [];

    public void AppendFloat(IReadOnlyList<Label> labels, long timestampMs, double value) =>
        Samples.Add(new PendingSample { SeriesIndex = IndexOf(labels), Type = SampleValueType.Float, T = timestampMs, F = value });

    public void AppendHistogram(IReadOnlyList<Label> labels, long timestampMs, Histogram histogram) =>
        Samples.Add(new PendingSample { SeriesIndex = IndexOf(labels), Type = SampleValueType.Histogram, T = timestampMs, Histogram = histogram });

    public void AppendFloatHistogram(IReadOnlyList<Label> labels, long timestampMs, FloatHistogram histogram) =>
        Samples.Add(new PendingSample { SeriesIndex = IndexOf(labels), Type = SampleValueType.FloatHistogram, T = timestampMs, Histogram = histogram });

    public void AppendExemplar(IReadOnlyList<Label> labels, Exemplar exemplar) => PendingExemplars.Add((IndexOf(labels), exemplar));

    public ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            store.Commit(this);
        }
        finally
        {
            Samples.Clear();
            PendingExemplars.Clear();
            LabelSets.Clear();
            _lastLabels = null;
            _lastIndex = -1;
        }

        return ValueTask.CompletedTask;
    }

    private int IndexOf(IReadOnlyList<Label> labels)
    {
        // Callers append all samples of a series with the same label list, so a reference check finds it without hashing.
        if (ReferenceEquals(labels, _lastLabels))
        {
            return _lastIndex;
        }

        LabelSets.Add(labels);
        _lastLabels = labels;
        _lastIndex = LabelSets.Count - 1;
        return _lastIndex;
    }
}
