namespace TraceLink.Storage.Tsdb;

/// <summary>
/// A batch of writes to the TSDB (remote-write, span metrics). Nothing is visible or acknowledged
/// until <see cref="CommitAsync"/> returns, which happens only after the batch is in the WAL.
/// Not thread-safe; one appender per request.
/// </summary>
public interface ISampleAppender
{
    /// <summary>Adds a float sample; <paramref name="labels"/> sorted by name, including <c>__name__</c>.</summary>
    void AppendFloat(IReadOnlyList<Label> labels, long timestampMs, double value);

    /// <summary>Adds an integer native histogram sample.</summary>
    void AppendHistogram(IReadOnlyList<Label> labels, long timestampMs, Histogram histogram);

    /// <summary>Adds a float native histogram sample.</summary>
    void AppendFloatHistogram(IReadOnlyList<Label> labels, long timestampMs, FloatHistogram histogram);

    /// <summary>Adds an exemplar to the series' bounded exemplar store, in any time order (it is read back sorted by time).</summary>
    void AppendExemplar(IReadOnlyList<Label> labels, Exemplar exemplar);

    /// <summary>Validates and makes the batch durable (WAL) and visible; throws on data a retry cannot fix.</summary>
    ValueTask CommitAsync(CancellationToken cancellationToken);
}
