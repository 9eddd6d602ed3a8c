using System.Buffers.Binary;

using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Tests.Spans;

public sealed class SpanLogRecordTests
{
    [Fact]
    public void Crc32C_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void Span_record_checksum_covers_payload_locator_and_header_as_documented()
    {
        byte[] record = new byte[SpanLogRecord.SpanHeaderSize + 5];
        SpanLogRecord.WriteHeader(record, SpanLogRecord.TypeSpan, 5);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(12), 4096);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(20), 123);
        "hello"u8.CopyTo(record.AsSpan(28));
        SpanLogRecord.Seal(record, SpanLogRecord.TypeSpan, SpanLogRecord.PayloadCrcState(record, SpanLogRecord.TypeSpan));

        byte[] covered = [.. record.AsSpan(28).ToArray(), .. record.AsSpan(12, 16).ToArray(), .. record.AsSpan(0, 8).ToArray()];
        Assert.Equal(Crc32C.Compute(covered), BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(8)));
        Assert.True(SpanLogRecord.IsValid(record, out byte type));
        Assert.Equal(SpanLogRecord.TypeSpan, type);

        foreach (int offset in new[] { 0, 1, 4, 12, 20, 30 })
        {
            byte[] damaged = (byte[])record.Clone();
            damaged[offset] ^= 0x40;
            Assert.False(SpanLogRecord.IsValid(damaged, out _), $"flip at {offset} not detected");
        }

        Assert.False(SpanLogRecord.IsValid(record.AsSpan(0, record.Length - 1), out _));
    }
}
