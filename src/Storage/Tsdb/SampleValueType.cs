namespace TraceLink.Storage.Tsdb;

/// <summary>What a series iterator is positioned on (Prometheus <c>chunkenc.ValueType</c>).</summary>
public enum SampleValueType
{
    /// <summary>Exhausted.</summary>
    None,
    /// <summary>A float sample.</summary>
    Float,
    /// <summary>An integer native histogram.</summary>
    Histogram,
    /// <summary>A float native histogram.</summary>
    FloatHistogram,
}
