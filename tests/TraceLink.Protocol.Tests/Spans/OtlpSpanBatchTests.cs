using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;

namespace TraceLink.Protocol.Tests.Spans;

public sealed class OtlpSpanBatchTests
{
    [Fact]
    public void Wire_batch_reads_the_same_spans_resources_and_scopes_as_the_protobuf_parser()
    {
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans =
            {
                new ResourceSpans
                {
                    Resource = new Resource { Attributes = { Attr("service.name", "cart"), new KeyValue { Key = "process.pid", Value = new AnyValue { IntValue = 42 } } } },
                    SchemaUrl = "https://opentelemetry.io/schemas/1.21.0",
                    ScopeSpans =
                    {
                        new ScopeSpans { Scope = new InstrumentationScope { Name = "a", Version = "1" }, Spans = { NewSpan(1, "GET /cart", Span.Types.SpanKind.Server, error: true), NewSpan(2, "SELECT", Span.Types.SpanKind.Client, error: false) } },
                        new ScopeSpans { Scope = new InstrumentationScope { Name = "empty" } },
                        new ScopeSpans { SchemaUrl = "s", Spans = { NewSpan(3, "internal", Span.Types.SpanKind.Internal, error: false) } },
                    },
                },
                new ResourceSpans { Resource = new Resource { Attributes = { Attr("service.name", "idle") } } },
                new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { NewSpan(4, "bare", Span.Types.SpanKind.Unspecified, error: false) } } } },
            },
        };
        var body = request.ToByteArray();

        using var batch = OtlpSpanBatch.TryRead(body, out var error);

        Assert.Null(error);
        Assert.NotNull(batch);
        var expected = new List<(ResourceSpans Resource, ScopeSpans Scope, Span Span)>();
        foreach (var resourceSpans in request.ResourceSpans)
        {
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    expected.Add((resourceSpans, scopeSpans, span));
                }
            }
        }

        Assert.Equal(expected.Count, batch.Spans.Length);
        Assert.Equal(2, batch.Resources.Length);
        Assert.Equal(3, batch.Scopes.Length);
        for (var i = 0; i < expected.Count; i++)
        {
            var (resourceSpans, scopeSpans, span) = expected[i];
            var wire = batch.Spans[i];
            Assert.Equal(span, Span.Parser.ParseFrom(batch.SpanBytes(wire)));
            Assert.Equal(span.TraceId.ToByteArray(), body.AsSpan()[wire.TraceId].ToArray());
            Assert.Equal(span.SpanId.ToByteArray(), body.AsSpan()[wire.SpanId].ToArray());
            Assert.Equal(span.ParentSpanId.ToByteArray(), body.AsSpan()[wire.ParentSpanId].ToArray());
            Assert.Equal(span.Name, batch.SpanName(wire));
            Assert.Equal((int)span.Kind, wire.Kind);
            Assert.Equal(span.StartTimeUnixNano, wire.StartTimeUnixNano);
            Assert.Equal(span.EndTimeUnixNano, wire.EndTimeUnixNano);
            Assert.Equal((int)(span.Status?.Code ?? Status.Types.StatusCode.Unset), wire.StatusCode);
            Assert.Equal(span.Status?.Message ?? string.Empty, System.Text.Encoding.UTF8.GetString(body.AsSpan()[wire.StatusMessage]));
            Assert.Equal(span.Events.Count, wire.EventCount);

            var resource = batch.Resources[wire.Resource];
            Assert.True(i >= resource.FirstSpan && i < resource.FirstSpan + resource.SpanCount);
            Assert.Equal(resourceSpans.Resource is not null, resource.HasResource);
            Assert.Equal(resourceSpans.Resource ?? new Resource(), Resource.Parser.ParseFrom(batch.ResourceBytes(resource)));
            Assert.Equal(resourceSpans.SchemaUrl, System.Text.Encoding.UTF8.GetString(body.AsSpan()[resource.SchemaUrl]));
            var scope = batch.Scopes[wire.ScopeIndex];
            Assert.Equal(scopeSpans.Scope is not null, scope.HasScope);
            Assert.Equal(scopeSpans.Scope ?? new InstrumentationScope(), InstrumentationScope.Parser.ParseFrom(body.AsSpan()[scope.Scope]));
            Assert.Equal(scopeSpans.SchemaUrl, System.Text.Encoding.UTF8.GetString(body.AsSpan()[scope.SchemaUrl]));
        }
    }

    [Fact]
    public void Span_id_of_the_wrong_length_is_rejected_naming_the_span()
    {
        var span = NewSpan(1, "short", Span.Types.SpanKind.Server, error: false);
        span.SpanId = ByteString.CopyFrom(1, 2, 3);
        var request = new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { span } } } } } };

        var batch = OtlpSpanBatch.TryRead(request.ToByteArray(), out var error);

        Assert.Null(batch);
        Assert.Equal("span \"short\" has an invalid id: trace id must be 16 bytes, span and parent span ids 8 bytes (got 16, 3, 0)", error);
    }

    [Theory]
    [InlineData("truncated request")]
    [InlineData("truncated attribute value")]
    [InlineData("truncated event attribute")]
    [InlineData("truncated value in a key-value list")]
    public void Malformed_protobuf_anywhere_in_the_request_is_rejected_as_the_protobuf_parser_rejects_it(string damage)
    {
        var body = damage switch
        {
            "truncated request" => Valid()[..^3],
            "truncated attribute value" => RequestWithSpanField(9, KeyValueBytes("k", [0x18, 0x80])),
            "truncated value in a key-value list" => RequestWithSpanField(9, KeyValueBytes("k", [0x32, .. Prefixed([0x0A, .. Prefixed(KeyValueBytes("j", [0x18, 0x80]))])])),
            _ => RequestWithSpanField(11, [0x1A, .. Prefixed(KeyValueBytes("k", [0x0A, 0x05, (byte)'a']))]),
        };

        Assert.ThrowsAny<InvalidProtocolBufferException>(() => ExportTraceServiceRequest.Parser.ParseFrom(body));
        var batch = OtlpSpanBatch.TryRead(body, out var error);

        Assert.Null(batch);
        Assert.StartsWith("malformed OTLP protobuf: invalid protobuf: ", error);
    }

    [Fact]
    public void Unknown_fields_and_unexpected_wire_types_are_skipped_like_the_protobuf_parser_and_kept_in_the_span_bytes()
    {
        // Span name (field 5) sent as a varint is an unknown field to protobuf; field 99 is unknown altogether.
        byte[] extra = [0x28, 0x07, 0x9A, 0x06, 0x02, 0x68, 0x69];
        var body = RequestWithSpanField(0, extra);

        var parsed = ExportTraceServiceRequest.Parser.ParseFrom(body);
        using var batch = OtlpSpanBatch.TryRead(body, out var error);

        Assert.Null(error);
        var wire = Assert.Single(batch!.Spans.ToArray());
        Assert.Equal("x", batch.SpanName(wire));
        Assert.Equal(parsed.ResourceSpans[0].ScopeSpans[0].Spans[0], Span.Parser.ParseFrom(batch.SpanBytes(wire)));
        Assert.True(batch.SpanBytes(wire).EndsWith(extra));
    }

    [Fact]
    public void Attribute_reader_renders_values_and_reads_integers_like_the_decoded_attributes()
    {
        var span = new Span
        {
            Attributes =
            {
                Attr("s", "text"),
                new KeyValue { Key = "i", Value = new AnyValue { IntValue = -5 } },
                new KeyValue { Key = "b", Value = new AnyValue { BoolValue = true } },
                new KeyValue { Key = "d", Value = new AnyValue { DoubleValue = 2.5 } },
                new KeyValue { Key = "y", Value = new AnyValue { BytesValue = ByteString.CopyFrom(1, 2) } },
                Attr("n", " 42 "),
                new KeyValue { Key = "none" },
                new KeyValue { Key = "a", Value = new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { IntValue = 1 } } } } },
            },
        };
        var rendered = new List<string>();
        var integers = new List<string>();

        foreach (var attribute in WireAttributeReader.OfSpan(span.ToByteArray()))
        {
            var key = System.Text.Encoding.UTF8.GetString(attribute.Key);
            rendered.Add(key + "=" + (attribute.TryRender(out var text) ? text : "-"));
            integers.Add(key + "=" + (attribute.TryGetInt64(out var number) ? number.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-"));
        }

        Assert.Equal(["s=text", "i=-5", "b=true", "d=2.5", "y=AQI=", "n= 42 ", "none=-", "a=-"], rendered);
        Assert.Equal(["s=-", "i=-5", "b=-", "d=2", "y=-", "n=42", "none=-", "a=-"], integers);
    }

    [Fact]
    public void Last_member_of_an_AnyValue_oneof_on_the_wire_wins_as_in_the_decoded_message()
    {
        // AnyValue{string_value "a", int_value 7}: protobuf keeps the int.
        var keyValue = KeyValueBytes("k", [0x0A, 0x01, (byte)'a', 0x18, 0x07]);
        byte[] span = [0x4A, .. Prefixed(keyValue)];

        var decoded = Span.Parser.ParseFrom(span).Attributes[0].Value;
        Assert.True(WireAttributeReader.TryFind(span, WireAttributeReader.SpanField, "k"u8, out var attribute));

        Assert.Equal(AnyValue.ValueOneofCase.IntValue, decoded.ValueCase);
        Assert.Equal(WireValueKind.Int, attribute.Kind);
        Assert.Equal(decoded.IntValue, attribute.Int);
    }

    private static Span NewSpan(int seed, string name, Span.Types.SpanKind kind, bool error)
    {
        var traceId = new byte[16];
        var spanId = new byte[8];
        new Random(seed).NextBytes(traceId);
        new Random(seed + 1000).NextBytes(spanId);
        return new Span
        {
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = ByteString.CopyFrom(spanId),
            ParentSpanId = seed % 2 == 0 ? ByteString.CopyFrom(traceId, 0, 8) : ByteString.Empty,
            Name = name,
            Kind = kind,
            StartTimeUnixNano = 1_700_000_000_000_000_000UL + (ulong)seed,
            EndTimeUnixNano = 1_700_000_000_500_000_000UL + (ulong)seed,
            Status = error ? new Status { Code = Status.Types.StatusCode.Error, Message = "boom" } : null,
            Attributes = { Attr("http.request.method", "GET") },
            Events = { new Span.Types.Event { Name = "exception", TimeUnixNano = 5, Attributes = { Attr("exception.type", "E") } } },
        };
    }

    private static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static byte[] Valid() => new ExportTraceServiceRequest
    {
        ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { NewSpan(1, "x", Span.Types.SpanKind.Server, error: false) } } } } },
    }.ToByteArray();

    private static byte[] KeyValueBytes(string key, byte[] anyValue) => [0x0A, (byte)key.Length, .. System.Text.Encoding.UTF8.GetBytes(key), 0x12, .. Prefixed(anyValue)];

    private static byte[] Prefixed(byte[] message) => [(byte)message.Length, .. message];

    /// <summary>A request with one span named "x" whose message ends with <paramref name="payload"/> (as field <paramref name="field"/>, or raw when 0).</summary>
    private static byte[] RequestWithSpanField(int field, byte[] payload)
    {
        byte[] span = [.. new Span { Name = "x" }.ToByteArray(), .. field == 0 ? payload : [(byte)((field << 3) | 2), .. Prefixed(payload)]];
        byte[] scopeSpans = [0x12, .. Prefixed(span)];
        byte[] resourceSpans = [0x12, .. Prefixed(scopeSpans)];
        return [0x0A, .. Prefixed(resourceSpans)];
    }
}
