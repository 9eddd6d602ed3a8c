namespace TraceLink.Storage.Tsdb;

/// <summary>CRC-32 with the Castagnoli polynomial (reflected 0x82F63B78), as Prometheus uses for chunks and remote-read frames.</summary>
public static class Crc32C
{
    /// <summary>CRC32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Continues a finished CRC32C <paramref name="crc"/> over more bytes (same engine as the span log's).</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data) => ~Spans.Crc32C.Append(~crc, data);
}
