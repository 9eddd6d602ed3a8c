namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>Top two bits of byte 2 of a histogram chunk (Prometheus <c>CounterResetHeader</c>).</summary>
internal static class HistogramChunkFlags
{
    public const byte Unknown = 0x00;
    public const byte NotCounterReset = 0x40;
    public const byte CounterReset = 0x80;
    public const byte Gauge = 0xC0;
}
