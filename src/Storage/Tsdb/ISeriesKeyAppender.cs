namespace TraceLink.Storage.Tsdb;

/// <summary>
/// Allocation-free form of <see cref="ISampleAppender"/> for decoders: a series is named once per batch by its
/// <see cref="SeriesKey"/> bytes (or labels) and samples refer to the returned batch-local reference.
/// </summary>
public interface ISeriesKeyAppender : ISampleAppender
{
    /// <summary>A batch-local reference for the series with this canonical key (labels valid, sorted, no empty values).</summary>
    int SeriesRef(ReadOnlySpan<byte> seriesKey);

    /// <summary>A batch-local reference for the series with these labels (sorted by name).</summary>
    int SeriesRef(IReadOnlyList<Label> labels);

    /// <summary>Adds a float sample to a series named by <see cref="SeriesRef(ReadOnlySpan{byte})"/>.</summary>
    void AppendFloat(int seriesRef, long timestampMs, double value);

    /// <summary>
    /// A histogram for the caller to fill and pass to <see cref="AppendHistogram(int, long, Histogram)"/>. The appender
    /// may hand out the same object and arrays again after the commit, so the caller must not keep it.
    /// </summary>
    Histogram NewHistogram() => new();

    /// <summary>The float form of <see cref="NewHistogram"/>.</summary>
    FloatHistogram NewFloatHistogram() => new();

    /// <summary>Adds an integer native histogram sample.</summary>
    void AppendHistogram(int seriesRef, long timestampMs, Histogram histogram);

    /// <summary>Adds a float native histogram sample.</summary>
    void AppendFloatHistogram(int seriesRef, long timestampMs, FloatHistogram histogram);

    /// <summary>Adds an exemplar.</summary>
    void AppendExemplar(int seriesRef, Exemplar exemplar);
}
