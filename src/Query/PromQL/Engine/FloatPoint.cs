namespace TraceLink.Query.PromQL.Engine;

/// <summary>A float sample of a result series.</summary>
/// <param name="T">Timestamp in ms.</param>
/// <param name="F">Value.</param>
public readonly record struct FloatPoint(long T, double F);
