using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Wire;

namespace TraceLink.Protocol.Tests.Wire;

public sealed class ProtoWriterTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(120)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(16_380)]
    [InlineData(16_381)]
    [InlineData(70_000)]
    public void Nested_fields_get_minimal_lengths_around_varint_boundaries_and_parse_with_the_protobuf_library(int valueLength)
    {
        // KeyValue { key = "k", value = AnyValue { string_value } } inside Span.attributes, the AnyValue and the
        // KeyValue both written with BeginField/EndField: body lengths cross the 1-, 2- and 3-byte varint sizes.
        string value = new('v', valueLength);
        using var writer = new ProtoWriter(16);
        writer.Fixed64Field(7, 1_700_000_000_000_000_123);
        writer.VarintField(6, 3);
        int attribute = writer.BeginField(9);
        writer.StringField(1, "k");
        int any = writer.BeginField(2);
        writer.StringField(1, value);
        writer.EndField(any);
        writer.EndField(attribute);
        writer.Fixed32Field(16, 0x101);
        writer.BytesField(2, [1, 2, 3, 4, 5, 6, 7, 8]);

        var span = Span.Parser.ParseFrom(writer.WrittenSpan);

        Assert.Equal(1_700_000_000_000_000_123UL, span.StartTimeUnixNano);
        Assert.Equal(Span.Types.SpanKind.Client, span.Kind);
        Assert.Equal(0x101u, span.Flags);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], span.SpanId.ToByteArray());
        var kv = Assert.Single(span.Attributes);
        Assert.Equal(("k", AnyValue.ValueOneofCase.StringValue, value), (kv.Key, kv.Value.ValueCase, kv.Value.StringValue));
        Assert.Equal(span.CalculateSize(), writer.Length); // no padding left where the reserved length bytes were
    }

    [Fact]
    public void Varints_of_every_length_survive_buffer_growth_at_any_position()
    {
        // KeyValue { key = "n", value = AnyValue { int_value } } repeated: 1- to 10-byte varints, the buffer growing
        // from its smallest size at whatever byte the next varint starts
        long[] values = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 1L << 35, long.MaxValue, -1, long.MinValue];
        using var writer = new ProtoWriter(1);
        var expected = new List<long>();
        for (int i = 0; i < 300; i++)
        {
            long value = values[i % values.Length] + (i / values.Length % 2);
            int attribute = writer.BeginField(9);
            writer.StringField(1, "n");
            int any = writer.BeginField(2);
            writer.VarintField(3, (ulong)value);
            writer.EndField(any);
            writer.EndField(attribute);
            expected.Add(value);
        }

        var span = Span.Parser.ParseFrom(writer.WrittenSpan);

        Assert.Equal(expected, span.Attributes.Select(a => a.Value.IntValue));
    }

    [Fact]
    public void Detach_hands_over_the_written_bytes_and_starts_empty()
    {
        using var writer = new ProtoWriter(8);
        writer.StringField(5, "GET /");
        byte[] buffer = writer.Detach(out int length);
        writer.StringField(5, "POST /x");

        Assert.Equal("GET /", Span.Parser.ParseFrom(buffer, 0, length).Name);
        Assert.Equal("POST /x", Span.Parser.ParseFrom(writer.WrittenSpan).Name);
        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
    }
}
