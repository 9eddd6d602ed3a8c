namespace TraceLink.Storage.Tsdb;

/// <summary>
/// Iterates the samples of one series in timestamp order (Prometheus <c>chunkenc.Iterator</c>).
/// Not thread-safe; the At* methods return data valid until the next Next/Seek call.
/// </summary>
public interface ISeriesIterator
{
    /// <summary>Advances; returns the type of the new sample or <see cref="SampleValueType.None"/>.</summary>
    SampleValueType Next();

    /// <summary>Advances to the first sample with timestamp ≥ <paramref name="timestampMs"/> (no-op if already there).</summary>
    SampleValueType Seek(long timestampMs);

    /// <summary>Timestamp in milliseconds of the current sample.</summary>
    long AtTimestamp { get; }

    /// <summary>Current float sample value.</summary>
    double AtFloat { get; }

    /// <summary>Current integer histogram; only when positioned on <see cref="SampleValueType.Histogram"/>.</summary>
    Histogram AtHistogram();

    /// <summary>Current histogram as float (converts integer histograms).</summary>
    FloatHistogram AtFloatHistogram();
}
