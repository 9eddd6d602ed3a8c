using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Storage.Assembly;
using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Tests.Assembly;

/// <summary>
/// The sensor span of the request an SDK span sent goes under that SDK span; a proxy passing the same traceparent on
/// does not. SDK resources usually say nothing about the process (no <c>process.pid</c>), as in the OpenTelemetry .NET default.
/// </summary>
public sealed class SdkCallerTests
{
    private const long T0 = 1_750_000_000_000_000_000;
    private const long Ms = 1_000_000;
    private static readonly byte[] TraceId = Convert.FromHexString("0af7651916cd43dd8448eb211c80319c");
    private static readonly byte[] SdkClientId = Convert.FromHexString("b7ad6b7169203331");

    [Fact]
    public async Task Sensor_call_goes_under_the_sdk_span_of_a_resource_without_pid_and_the_proxy_hop_under_the_proxy()
    {
        var (trace, spans) = await AssembleAsync(sdkResource: new Resource { Attributes = { Str(SpanAttributeNames.ServiceName, "shop") } });

        Assert.Equal(6, trace.Spans.Count);
        AssertParent(spans["sdk-client"], spans["shop-call"], "sdk");
        AssertParent(spans["shop-call"], spans["proxy-in"], SpanAttributeNames.TcpReqSeq);
        AssertParent(spans["proxy-in"], spans["proxy-out"], "syscall.trace_id");
        AssertParent(spans["proxy-out"], spans["backend-in"], SpanAttributeNames.TcpReqSeq);
    }

    [Fact]
    public async Task Sensor_call_of_another_process_than_the_sdk_resource_names_is_not_its_child()
    {
        var (_, spans) = await AssembleAsync(sdkResource: new Resource
        {
            Attributes = { Str(SpanAttributeNames.ServiceName, "shop"), Str("host.name", "h1"), Int(SpanAttributeNames.ProcessPid, 99) },
        });

        Assert.NotEqual(spans["sdk-client"].Span.SpanId, spans["shop-call"].Span.ParentSpanId);
        Assert.True(spans["shop-call"].Span.ParentSpanId.IsEmpty);
        AssertParent(spans["shop-call"], spans["proxy-in"], SpanAttributeNames.TcpReqSeq);
    }

    /// <summary>shop (SDK root + HttpClient span, sensor call from pid 10) → proxy pid 20 (passes traceparent on) → backend pid 30.</summary>
    private static async Task<(AssembledTrace Trace, Dictionary<string, StoredSpan> Spans)> AssembleAsync(Resource sdkResource)
    {
        var sdkRoot = new Span { Name = "checkout", Kind = Span.Types.SpanKind.Internal, TraceId = ByteString.CopyFrom(TraceId), SpanId = Id("1111111111111111"), StartTimeUnixNano = T0, EndTimeUnixNano = T0 + (20 * Ms) };
        var sdkClient = new Span { Name = "GET", Kind = Span.Types.SpanKind.Client, TraceId = ByteString.CopyFrom(TraceId), SpanId = ByteString.CopyFrom(SdkClientId), ParentSpanId = sdkRoot.SpanId, StartTimeUnixNano = T0 + Ms, EndTimeUnixNano = T0 + (19 * Ms) };
        var shopCall = Sensor("shop-call", "c", T0 + (2 * Ms), T0 + (18 * Ms), reqSeq: 500, local: ("127.0.0.1", 41000), peer: ("127.0.0.1", 8080), sys: (5, 9));
        var proxyIn = Sensor("proxy-in", "s", T0 + (3 * Ms), T0 + (17 * Ms), reqSeq: 500, local: ("127.0.0.1", 8080), peer: ("127.0.0.1", 41000), sys: (6, 8));
        var proxyOut = Sensor("proxy-out", "c", T0 + (4 * Ms), T0 + (16 * Ms), reqSeq: 700, local: ("127.0.0.1", 42000), peer: ("127.0.0.1", 9090), sys: (6, 8));
        var backendIn = Sensor("backend-in", "s", T0 + (5 * Ms), T0 + (15 * Ms), reqSeq: 700, local: ("127.0.0.1", 9090), peer: ("127.0.0.1", 42000), sys: (7, 7));
        var request = new ExportTraceServiceRequest();
        Add(request, sdkResource, sdkRoot, sdkClient);
        Add(request, SensorResource(10), shopCall);
        Add(request, SensorResource(20), proxyIn, proxyOut);
        Add(request, SensorResource(30), backendIn);
        var store = new InMemorySpanStore();
        await store.AppendAsync(request, CancellationToken.None);

        var trace = new TraceAssembler(store).Assemble(TraceId)!;

        var byName = new Dictionary<string, StoredSpan>(StringComparer.Ordinal);
        foreach (var span in trace.Spans)
        {
            var key = span.Span.Attributes.FirstOrDefault(a => a.Key == "test.name")?.Value.StringValue ?? (span.Span.Kind == Span.Types.SpanKind.Client ? "sdk-client" : "sdk-root");
            byName[key] = span;
        }

        return (trace, byName);
    }

    private static void AssertParent(StoredSpan parent, StoredSpan child, string linkKey)
    {
        Assert.Equal(parent.Span.SpanId, child.Span.ParentSpanId);
        Assert.Contains(child.Span.Attributes, a => a.Key == SpanAttributeNames.LinkKey && a.Value.StringValue == linkKey);
    }

    private static Span Sensor(string name, string side, long start, long end, long reqSeq, (string Ip, int Port) local, (string Ip, int Port) peer, (long Req, long Resp) sys) => new()
    {
        Name = "GET /items",
        Kind = side == "c" ? Span.Types.SpanKind.Client : Span.Types.SpanKind.Server,
        TraceId = ByteString.CopyFrom(TraceId),
        ParentSpanId = ByteString.CopyFrom(SdkClientId), // every hop carries the SDK's traceparent
        SpanId = Id(Convert.ToHexStringLower(BitConverter.GetBytes(start ^ reqSeq))),
        StartTimeUnixNano = (ulong)start,
        EndTimeUnixNano = (ulong)end,
        Attributes =
        {
            Str("test.name", name),
            Str(SpanAttributeNames.TapSide, side),
            Int(SpanAttributeNames.TcpReqSeq, reqSeq),
            Int(SpanAttributeNames.SyscallTraceIdReq, sys.Req),
            Int(SpanAttributeNames.SyscallTraceIdResp, sys.Resp),
            Str(SpanAttributeNames.LocalAddress, local.Ip),
            Int(SpanAttributeNames.LocalPort, local.Port),
            Str(SpanAttributeNames.PeerAddress, peer.Ip),
            Int(SpanAttributeNames.PeerPort, peer.Port),
        },
    };

    private static Resource SensorResource(int pid) => new() { Attributes = { Str("host.name", "h1"), Int(SpanAttributeNames.ProcessPid, pid) } };

    private static void Add(ExportTraceServiceRequest request, Resource resource, params Span[] spans) =>
        request.ResourceSpans.Add(new ResourceSpans { Resource = resource, ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope(), Spans = { spans } } } });

    private static ByteString Id(string hex) => ByteString.CopyFrom(Convert.FromHexString(hex));

    private static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}
