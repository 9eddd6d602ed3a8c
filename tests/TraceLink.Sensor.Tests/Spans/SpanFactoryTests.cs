using System.Globalization;
using System.Net;
using System.Text;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Protocol.Wire;
using TraceLink.Sensor.Capture;
using TraceLink.Sensor.Http;
using TraceLink.Sensor.Native;
using TraceLink.Sensor.Spans;
using TraceLink.Sensor.Tests.EndToEnd;

namespace TraceLink.Sensor.Tests.Spans;

public sealed class SpanFactoryTests
{
    [Fact]
    public void Server_span_carries_correlation_keys_http_attributes_and_traceparent()
    {
        var options = new SensorOptions();
        var exchange = Exchange(
            "GET /api/users/1?x=2 HTTP/1.1\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n" +
            "tracestate: k=v\r\nX-Request-ID: req-1\r\n\r\n",
            "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 4\r\nX-Request-ID: resp-1\r\n\r\noops",
            isClient: false);

        var span = Build(new SpanFactory(options, _ => "api"), exchange);

        Assert.Equal("GET /api/users/1", span.Name);
        Assert.Equal(Span.Types.SpanKind.Server, span.Kind);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", Convert.ToHexStringLower(span.TraceId.Span));
        Assert.Equal("b7ad6b7169203331", Convert.ToHexStringLower(span.ParentSpanId.Span));
        Assert.Equal("k=v", span.TraceState);
        Assert.Equal(8, span.SpanId.Length);
        Assert.Equal(Status.Types.StatusCode.Error, span.Status.Code);
        Assert.Equal("s", span.Str(SpanAttributeNames.TapSide));
        Assert.Equal("req-1", span.Str(SpanAttributeNames.XRequestIdReq));
        Assert.Equal("resp-1", span.Str(SpanAttributeNames.XRequestIdResp));
        Assert.Equal(111, span.Int(SpanAttributeNames.TcpReqSeq));
        Assert.Equal(222, span.Int(SpanAttributeNames.TcpRespSeq));
        Assert.Equal(9, span.Int(SpanAttributeNames.ThreadId));
        Assert.Equal(77, span.Int(SpanAttributeNames.ProcessPid));
        Assert.Equal("x=2", span.Str("url.query"));
        Assert.Equal(502, span.Int("http.response.status_code"));
        Assert.Equal("oops", span.Str("http.response.body"));
        Assert.Equal("10.0.0.1", span.Str(SpanAttributeNames.LocalAddress));
        Assert.Equal(8080, span.Int(SpanAttributeNames.LocalPort));
        Assert.Equal(1000UL, span.StartTimeUnixNano);
        Assert.Equal(4000UL, span.EndTimeUnixNano);
    }

    [Fact]
    public void Client_span_without_traceparent_leaves_the_trace_id_to_the_assembler()
    {
        var span = Build(new SpanFactory(new SensorOptions(), _ => "cli"),
            Exchange("GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", isClient: true));

        Assert.True(span.TraceId.IsEmpty);
        Assert.True(span.ParentSpanId.IsEmpty);
        Assert.Equal(Span.Types.SpanKind.Client, span.Kind);
        Assert.Equal("c", span.Str(SpanAttributeNames.TapSide));
        Assert.Equal(Status.Types.StatusCode.Error, span.Status.Code); // 4xx is an error on the client side
    }

    [Fact]
    public void Sensitive_headers_are_redacted_and_the_capture_list_is_honoured()
    {
        var options = new SensorOptions();
        options.CaptureHeaders.Add("Authorization");
        options.CaptureHeaders.Add("user-agent");
        var span = Build(new SpanFactory(options, _ => "x"), Exchange(
            "GET / HTTP/1.1\r\nAuthorization: Bearer secret\r\nUser-Agent: curl\r\nAccept: */*\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", isClient: false));

        Assert.Equal("[REDACTED]", span.Str("http.request.header.authorization"));
        Assert.Equal("curl", span.Str("http.request.header.user-agent"));
        Assert.Null(span.Str("http.request.header.accept"));
        Assert.DoesNotContain(span.Attributes, a => a.Value.StringValue.Contains("secret", StringComparison.Ordinal));
    }

    [Fact]
    public void Header_attributes_are_bounded_and_binary_bodies_are_bytes()
    {
        var options = new SensorOptions { MaxHeaderAttributes = 3 };
        var head = new StringBuilder("POST / HTTP/1.1\r\nContent-Length: 3\r\n");
        for (int i = 0; i < 10; i++)
        {
            head.Append('H').Append(i).Append(": v\r\n");
        }

        var span = Build(new SpanFactory(options, _ => "x"), Exchange(
            head.Append("\r\n").ToString() + "\xff\xfe\x00", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", isClient: false));

        Assert.Equal(3, span.Attributes.Count(a => a.Key.StartsWith("http.request.header.", StringComparison.Ordinal)));
        var body = span.Attributes.Single(a => a.Key == "http.request.body").Value;
        Assert.Equal([0xff, 0xfe, 0x00], body.BytesValue.ToByteArray());
    }

    [Fact]
    public void Resource_uses_the_service_map_then_the_process_name()
    {
        var options = new SensorOptions();
        options.ServiceNames["nginx"] = "edge";
        var factory = new SpanFactory(options, pid => pid == 1 ? "nginx" : "python3");

        Assert.Equal("edge", Resource(factory, 1).Str(SpanAttributeNames.ServiceName));
        Assert.Equal("nginx", Resource(factory, 1).Str(SpanAttributeNames.ProcessName));
        Assert.Equal("python3", Resource(factory, 2).Str(SpanAttributeNames.ServiceName));
    }

    [Fact]
    public void Spans_taken_from_a_batch_keep_their_values_after_the_messages_are_reused_for_later_exchanges()
    {
        var connection = new OneConnection(new SpanFactory(new SensorOptions(), _ => "api"));

        connection.Send(Direction.Ingress, "GET /first HTTP/1.1\r\nX-Request-ID: one\r\n\r\n");
        connection.Send(Direction.Egress, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"a\"\r\n\r\nfirst");
        var first = Request(connection.Batch.Take());
        connection.Send(Direction.Ingress, "POST /second/longer/path HTTP/1.1\r\nContent-Length: 2\r\nX-Request-ID: two\r\n\r\nhi");
        connection.Send(Direction.Egress, "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nETag: \"b\"\r\n\r\nnot");
        var second = Request(connection.Batch.Take());

        var span1 = Assert.Single(Assert.Single(Assert.Single(first!.ResourceSpans).ScopeSpans).Spans);
        var span2 = Assert.Single(Assert.Single(Assert.Single(second!.ResourceSpans).ScopeSpans).Spans);
        Assert.Equal("GET /first", span1.Name);
        Assert.Equal("one", span1.Str(SpanAttributeNames.XRequestIdReq));
        Assert.Equal("\"a\"", span1.Str("http.response.header.etag"));
        Assert.Equal("first", span1.Str("http.response.body"));
        Assert.Equal(200, span1.Int("http.response.status_code"));
        Assert.Equal(100, span1.Int(SpanAttributeNames.TcpReqSeq));
        Assert.Equal("POST /second/longer/path", span2.Name);
        Assert.Equal("two", span2.Str(SpanAttributeNames.XRequestIdReq));
        Assert.Equal("hi", span2.Str("http.request.body"));
        Assert.Equal("not", span2.Str("http.response.body"));
        Assert.Equal(404, span2.Int("http.response.status_code"));
        Assert.Null(span1.Str("http.request.body"));
    }

    [Fact]
    public void Repeated_headers_copied_from_the_encoding_cache_keep_their_direction_redaction_and_changes()
    {
        var connection = new OneConnection(new SpanFactory(new SensorOptions(), _ => "api"));
        for (int i = 0; i < 3; i++)
        {
            // the parser reuses a repeated header's strings: the second and third spans copy cached encodings; a known
            // name with an empty value is the same pair of strings in both directions
            connection.Send(Direction.Ingress, $"GET /{i} HTTP/1.1\r\nX-Same: v\r\nCookie: secret\r\nX-Changes: {i}\r\nVary:\r\n\r\n");
            connection.Send(Direction.Egress, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Same: v\r\nVary:\r\n\r\n");
        }

        var spans = Assert.Single(Assert.Single(Request(connection.Batch.Take())!.ResourceSpans).ScopeSpans).Spans;
        Assert.Equal(3, spans.Count);
        for (int i = 0; i < 3; i++)
        {
            var span = spans[i];
            Assert.Equal($"GET /{i}", span.Name);
            Assert.Equal("v", span.Str("http.request.header.x-same"));
            Assert.Equal("v", span.Str("http.response.header.x-same"));
            Assert.Equal("[REDACTED]", span.Str("http.request.header.cookie"));
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), span.Str("http.request.header.x-changes"));
            Assert.Equal(string.Empty, span.Str("http.request.header.vary"));
            Assert.Equal(string.Empty, span.Str("http.response.header.vary"));
            Assert.Equal(7, span.Attributes.Count(a => a.Key.Contains(".header.", StringComparison.Ordinal))); // and content-length
        }
    }

    private static Span Build(SpanFactory factory, HttpExchange exchange)
    {
        using var writer = new ProtoWriter();
        factory.Write(writer, 2, exchange); // ScopeSpans.spans
        return Assert.Single(ScopeSpans.Parser.ParseFrom(writer.WrittenSpan).Spans);
    }

    private static Resource Resource(SpanFactory factory, uint pid) => ResourceSpans.Parser.ParseFrom(factory.ResourceFor(pid)).Resource;

    private static ExportTraceServiceRequest Request(EncodedSpans? spans)
    {
        using var taken = spans!;
        return ExportTraceServiceRequest.Parser.ParseFrom(taken.Body.Span);
    }

    private static HttpExchange Exchange(string request, string response, bool isClient)
    {
        var requestMessage = Parse(request, seq: 111, ts: 1000);
        var responseMessage = Parse(response, seq: 222, ts: 3990);
        var header = new EventHeader { Pid = 77, Family = 2, LocalPort = 8080, RemotePort = 5555 };
        unsafe
        {
            header.LocalAddress[0] = 10;
            header.LocalAddress[3] = 1;
            header.RemoteAddress[0] = 10;
            header.RemoteAddress[3] = 2;
        }

        var tracker = new ConnectionTracker(HttpParserLimits.Default, _ => { }, 0);
        var connection = new Connection(tracker, new ConnectionKey(77, 1), header, HttpParserLimits.Default);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), connection.RemoteAddress);
        return new HttpExchange(requestMessage, responseMessage, connection, isClient);
    }

    private static HttpMessage Parse(string text, uint seq, ulong ts)
    {
        var sink = new Collect();
        new HttpStreamParser(HttpParserLimits.Default, sink).Feed(Encoding.Latin1.GetBytes(text), new SegmentInfo(seq, ts, ts + 10, 9, 1));
        return Assert.Single(sink.Messages);
    }

    private sealed class Collect : IHttpMessageSink
    {
        public List<HttpMessage> Messages { get; } = [];

        public bool NextResponseIsForHead() => false;

        public void OnMessage(HttpMessage message) => Messages.Add(message);
    }
    /// <summary>One server connection fed record by record into a tracker whose exchanges collect in <see cref="Batch"/>.</summary>
    private sealed class OneConnection
    {
        private readonly ConnectionTracker _tracker;
        private readonly EventHeader _header = new() { Kind = EventKind.Data, Pid = 77, Tid = 9, Sock = 1, Family = 2, LocalPort = 8080, RemotePort = 5555 };
        private ulong _clock = 1000;
        private uint _seqIn = 100;
        private uint _seqOut = 900;

        public OneConnection(SpanFactory factory)
        {
            SpanBatch? batch = null;
            _tracker = new ConnectionTracker(HttpParserLimits.Default, exchange => batch!.Add(exchange), 0);
            Batch = batch = new SpanBatch(factory, _tracker.MessagePool);
        }

        public SpanBatch Batch { get; }

        public void Send(Direction direction, string text)
        {
            byte[] bytes = Encoding.Latin1.GetBytes(text);
            var record = _header with
            {
                Direction = direction,
                Seq = direction == Direction.Ingress ? _seqIn : _seqOut,
                TsEnter = _clock += 10,
                TsExit = _clock += 10,
                Ret = bytes.Length,
                Captured = (uint)bytes.Length,
            };
            _tracker.OnRecord(record, bytes);
            if (direction == Direction.Ingress)
            {
                _seqIn += (uint)bytes.Length;
            }
            else
            {
                _seqOut += (uint)bytes.Length;
            }
        }
    }
}
