namespace TraceLink.Storage.Metadata;

/// <summary>Metric family type, numbered as in the remote-write <c>MetricMetadata.MetricType</c> enum (1.0 and 2.0 agree).</summary>
public enum MetricType : byte
{
    /// <summary>Type not known (<c>unknown</c>).</summary>
    Unknown = 0,

    /// <summary>Monotonic counter (<c>counter</c>).</summary>
    Counter = 1,

    /// <summary>Gauge (<c>gauge</c>).</summary>
    Gauge = 2,

    /// <summary>Histogram, classic or native (<c>histogram</c>).</summary>
    Histogram = 3,

    /// <summary>Gauge histogram (<c>gaugehistogram</c>).</summary>
    GaugeHistogram = 4,

    /// <summary>Summary (<c>summary</c>).</summary>
    Summary = 5,

    /// <summary>Info metric (<c>info</c>).</summary>
    Info = 6,

    /// <summary>State set (<c>stateset</c>).</summary>
    StateSet = 7,
}
