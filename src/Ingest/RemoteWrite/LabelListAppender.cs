using TraceLink.Storage.Tsdb;

namespace TraceLink.Ingest.RemoteWrite;

/// <summary>Adapts a plain <see cref="ISampleAppender"/> (a store without the key fast path) to <see cref="ISeriesKeyAppender"/>.</summary>
internal sealed class LabelListAppender(ISampleAppender inner) : ISeriesKeyAppender
{
    private readonly List<IReadOnlyList<Label>> _series = [];

    public int SeriesRef(ReadOnlySpan<byte> seriesKey) => SeriesRef(SeriesKey.Decode(seriesKey));

    public int SeriesRef(IReadOnlyList<Label> labels)
    {
        _series.Add(labels);
        return _series.Count - 1;
    }

    public void AppendFloat(int seriesRef, long timestampMs, double value) => inner.AppendFloat(_series[seriesRef], timestampMs, value);

    public void AppendHistogram(int seriesRef, long timestampMs, Histogram histogram) => inner.AppendHistogram(_series[seriesRef], timestampMs, histogram);

    public void AppendFloatHistogram(int seriesRef, long timestampMs, FloatHistogram histogram) => inner.AppendFloatHistogram(_series[seriesRef], timestampMs, histogram);

    public void AppendExemplar(int seriesRef, Exemplar exemplar) => inner.AppendExemplar(_series[seriesRef], exemplar);

    public void AppendFloat(IReadOnlyList<Label> labels, long timestampMs, double value) => inner.AppendFloat(labels, timestampMs, value);

    public void AppendHistogram(IReadOnlyList<Label> labels, long timestampMs, Histogram histogram) => inner.AppendHistogram(labels, timestampMs, histogram);

    public void AppendFloatHistogram(IReadOnlyList<Label> labels, long timestampMs, FloatHistogram histogram) => inner.AppendFloatHistogram(labels, timestampMs, histogram);

    public void AppendExemplar(IReadOnlyList<Label> labels, Exemplar exemplar) => inner.AppendExemplar(labels, exemplar);

    public async ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await inner.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _series.Clear();
        }
    }
}
