namespace TraceLink.Query.PromQL.Engine;

/// <summary>Prometheus's staleness marker: a NaN with a specific bit pattern.</summary>
public static class StaleNaN
{
    /// <summary>The bit pattern 0x7ff0000000000002.</summary>
    public const long Bits = 0x7ff0000000000002;

    /// <summary>The stale NaN value.</summary>
    public static double Value { get; } = BitConverter.Int64BitsToDouble(Bits);

    /// <summary>Whether a float is the stale marker (bitwise).</summary>
    public static bool Is(double v) => BitConverter.DoubleToInt64Bits(v) == Bits;
}
