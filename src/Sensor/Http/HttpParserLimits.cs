namespace TraceLink.Sensor.Http;

/// <summary>Bounds that keep one connection's parser state small whatever the peer sends.</summary>
/// <param name="MaxHeadBytes">Longest start line plus header section accepted.</param>
/// <param name="MaxBodyBytes">Body bytes kept per message (the rest is counted, not stored).</param>
/// <param name="MaxHeaders">Header fields kept per message.</param>
internal sealed record HttpParserLimits(int MaxHeadBytes = 16 * 1024, int MaxBodyBytes = 4096, int MaxHeaders = 64)
{
    /// <summary>Limits used when nothing else is configured.</summary>
    public static HttpParserLimits Default { get; } = new();
}
