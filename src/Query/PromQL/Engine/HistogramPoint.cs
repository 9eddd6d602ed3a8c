using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

/// <summary>A native histogram sample of a result series.</summary>
/// <param name="T">Timestamp in ms.</param>
/// <param name="H">Histogram (never mutated after it is produced).</param>
public readonly record struct HistogramPoint(long T, FloatHistogram H);
