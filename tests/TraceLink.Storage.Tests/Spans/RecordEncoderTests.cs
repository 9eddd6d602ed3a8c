using System.Buffers.Binary;

using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Tests.Spans;

public sealed class RecordEncoderTests
{
    [Fact]
    public void Records_hold_the_request_bytes_of_resource_scope_and_span_in_the_documented_layout()
    {
        var scope = new InstrumentationScope { Name = "lib", Version = "2" };
        var resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "cart" } } } };
        var first = new Span { TraceId = ByteString.CopyFrom(new byte[16]), SpanId = ByteString.CopyFrom(1, 2, 3, 4, 5, 6, 7, 8), Name = "a", StartTimeUnixNano = 123 };
        var second = new Span { Name = "b", StartTimeUnixNano = 456, Attributes = { new KeyValue { Key = "k", Value = new AnyValue { IntValue = 1 } } } };
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans { Resource = resource, SchemaUrl = "r", ScopeSpans = { new ScopeSpans { Scope = scope, SchemaUrl = "s", Spans = { first, second } } } },
                new ResourceSpans { Resource = new Resource() },
            },
        };
        using var batch = OtlpSpanBatch.FromRequest(request);
        var encoder = new RecordEncoder();

        encoder.Encode(batch, 1 << 20);

        Assert.Equal(3, encoder.Count);
        Assert.Equal(2, encoder.SpanCount);
        Assert.Equal(SpanLogRecord.TypeResource, encoder.Type(0));
        var resourceRecord = encoder.Record(0).ToArray();
        Assert.True(SpanLogRecord.IsValid(resourceRecord, out _));
        Assert.Equal(new ResourceSpans { Resource = resource, SchemaUrl = "r" }, ResourceSpans.Parser.ParseFrom(SpanLogRecord.Payload(resourceRecord, SpanLogRecord.TypeResource)));

        Span[] spans = [first, second];
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(SpanLogRecord.TypeSpan, encoder.Type(1 + i));
            var record = encoder.Record(1 + i).ToArray();
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(SpanLogRecord.ResourceLocatorOffset), 64);
            SpanLogRecord.Seal(record, SpanLogRecord.TypeSpan, encoder.CrcState(1 + i));
            Assert.True(SpanLogRecord.IsValid(record, out _));
            Assert.Equal((long)spans[i].StartTimeUnixNano, SpanLogRecord.StartTime(record));

            var payload = SpanLogRecord.Payload(record, SpanLogRecord.TypeSpan);
            Assert.Equal(new ScopeSpans { Scope = scope, SchemaUrl = "s", Spans = { spans[i] } }, ScopeSpans.Parser.ParseFrom(payload));

            // The span's bytes are copied from the request, not re-encoded: the payload ends with them verbatim.
            Assert.True(payload.EndsWith(batch.SpanBytes(batch.Spans[i])));
        }
    }

    [Fact]
    public void A_span_larger_than_a_log_page_is_refused_before_anything_is_written()
    {
        var span = new Span { Name = new string('x', 5000) };
        using var batch = OtlpSpanBatch.FromRequest(new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { span } } } } } });

        var e = Assert.Throws<InvalidDataException>(() => new RecordEncoder().Encode(batch, 4096));

        Assert.Contains("does not fit a span-log page", e.Message, StringComparison.Ordinal);
    }
}
