using System.Text;

using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Ingest.Otlp;

namespace TraceLink.Ingest.Tests.Otlp;

public sealed class OtlpTraceDecoderTests
{
    private const string TraceIdHex = "5b8efff798038103d269b633813fc60c";
    private const string SpanIdHex = "eee19b7ec3c1b174";

    [Fact]
    public void Json_ids_are_read_as_hex_as_the_OTLP_spec_says()
    {
        var json = $$$"""
            {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},
              "scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"{{{TraceIdHex}}}","spanId":"{{{SpanIdHex}}}",
              "parentSpanId":"","name":"GET /cart","kind":2,"startTimeUnixNano":"1700000000000000000",
              "endTimeUnixNano":1700000000250000000,"status":{"code":"STATUS_CODE_ERROR"},
              "links":[{"traceId":"{{{TraceIdHex}}}","spanId":"{{{SpanIdHex}}}"}]}]}]}]}
            """;

        var batch = OtlpTraceDecoder.DecodeJson(Encoding.UTF8.GetBytes(json), out var error);

        Assert.Null(error);
        var request = ExportTraceServiceRequest.Parser.ParseFrom(batch!.Body.Span);
        var span = request.ResourceSpans[0].ScopeSpans[0].Spans[0];
        Assert.Equal(TraceIdHex, Convert.ToHexStringLower(span.TraceId.Span));
        Assert.Equal(SpanIdHex, Convert.ToHexStringLower(span.SpanId.Span));
        Assert.Equal(SpanIdHex, Convert.ToHexStringLower(span.Links[0].SpanId.Span));
        Assert.Equal(Span.Types.SpanKind.Server, span.Kind);
        Assert.Equal(1700000000250000000UL, span.EndTimeUnixNano);
        Assert.Equal(Status.Types.StatusCode.Error, span.Status.Code);
        Assert.Equal("cart", request.ResourceSpans[0].Resource.Attributes[0].Value.StringValue);
    }

    [Fact]
    public void Protobuf_round_trips()
    {
        var original = new ExportTraceServiceRequest();
        var resourceSpans = new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { new Span { Name = "x", TraceId = ByteString.CopyFrom(Convert.FromHexString(TraceIdHex)), SpanId = ByteString.CopyFrom(Convert.FromHexString(SpanIdHex)) } } } } };
        original.ResourceSpans.Add(resourceSpans);

        var decoded = OtlpTraceDecoder.DecodeProtobuf(original.ToByteArray(), out var error);

        Assert.Null(error);
        Assert.Equal(original, ExportTraceServiceRequest.Parser.ParseFrom(decoded!.Body.Span));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"zz\"}]}]}]}")]
    [InlineData("{\"resourceSpans\":7}")]
    public void Malformed_json_is_rejected_with_a_message(string json)
    {
        var request = OtlpTraceDecoder.DecodeJson(Encoding.UTF8.GetBytes(json), out var error);

        Assert.Null(request);
        Assert.StartsWith("malformed OTLP JSON", error);
    }

    [Fact]
    public void Malformed_protobuf_is_rejected_with_a_message()
    {
        var request = OtlpTraceDecoder.DecodeProtobuf(new byte[] { 0x0a, 0xff, 0xff, 0x01, 0x02 }, out var error);

        Assert.Null(request);
        Assert.StartsWith("malformed OTLP protobuf", error);
    }

    [Fact]
    public void Ids_of_the_wrong_length_are_rejected()
    {
        var json = """{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"short","traceId":"abcd","spanId":"eee19b7ec3c1b174"}]}]}]}""";

        var request = OtlpTraceDecoder.DecodeJson(Encoding.UTF8.GetBytes(json), out var error);

        Assert.Null(request);
        Assert.Contains("span \"short\" has an invalid id", error);
    }
}
