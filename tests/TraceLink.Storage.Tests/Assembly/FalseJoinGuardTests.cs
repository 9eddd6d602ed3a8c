using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Storage.Assembly;

namespace TraceLink.Storage.Tests.Assembly;

public sealed class FalseJoinGuardTests
{
    private const long T0 = 1_750_000_000_000_000_000;
    private const long Ms = 1_000_000;

    [Fact]
    public async Task Equal_tcp_seq_joins_only_mirrored_sockets_and_records_the_key()
    {
        var store = new InMemorySpanStore();
        await store.AppendAsync(Request(
            ("h1", 10, Client(T0, T0 + (5 * Ms), seq: 42, local: ("10.0.0.1", 40000), peer: ("10.0.0.2", 80))),
            ("h2", 20, Server(T0 + Ms, T0 + (4 * Ms), seq: 42, local: ("10.0.0.2", 80), peer: ("10.0.0.1", 40000))),
            ("h3", 30, Server(T0 + Ms, T0 + (4 * Ms), seq: 42, local: ("10.0.0.3", 80), peer: ("10.0.0.9", 40000)))), CancellationToken.None);
        var assembler = new TraceAssembler(store);

        var trace = assembler.Search(SyntheticIds.TraceIdFor(64))!;

        Assert.Equal(2, trace.Spans.Count);
        var server = trace.Spans.Single(s => s.Span.Kind == Span.Types.SpanKind.Server);
        var client = trace.Spans.Single(s => s.Span.Kind == Span.Types.SpanKind.Client);
        Assert.Equal(client.Span.SpanId, server.Span.ParentSpanId);
        Assert.Contains(server.Span.Attributes, a => a.Key == SpanAttributeNames.LinkKey && a.Value.StringValue == SpanAttributeNames.TcpReqSeq);
        Assert.All(trace.Spans, s => Assert.Equal(trace.TraceId, s.Span.TraceId.ToByteArray()));
    }

    [Fact]
    public async Task Equal_syscall_ids_on_another_host_with_the_same_pid_do_not_join()
    {
        var server = Server(T0, T0 + (10 * Ms), seq: 1, local: ("10.0.0.2", 80), peer: ("10.0.0.1", 40000));
        server.Attributes.Add(Int(SpanAttributeNames.SyscallTraceIdReq, 7));
        server.Attributes.Add(Int(SpanAttributeNames.SyscallTraceIdResp, 8));
        var sameHost = Client(T0 + Ms, T0 + (2 * Ms), seq: 100, local: ("10.0.0.2", 50000), peer: ("10.0.0.5", 5432));
        sameHost.Attributes.Add(Int(SpanAttributeNames.SyscallTraceIdReq, 7));
        var otherHost = Client(T0 + Ms, T0 + (2 * Ms), seq: 200, local: ("10.0.0.3", 50000), peer: ("10.0.0.5", 5432));
        otherHost.Attributes.Add(Int(SpanAttributeNames.SyscallTraceIdReq, 7));
        var store = new InMemorySpanStore();
        await store.AppendAsync(Request(("h2", 20, server), ("h2", 20, sameHost), ("h3", 20, otherHost)), CancellationToken.None);

        var trace = new TraceAssembler(store).Search(SyntheticIds.TraceIdFor(64))!;

        Assert.Equal(2, trace.Spans.Count);
        var call = trace.Spans.Single(s => s.Span.Kind == Span.Types.SpanKind.Client);
        Assert.Equal("10.0.0.2", call.Span.Attributes.Single(a => a.Key == SpanAttributeNames.LocalAddress).Value.StringValue);
        Assert.Contains(call.Span.Attributes, a => a.Key == SpanAttributeNames.LinkKey && a.Value.StringValue == "syscall.trace_id");
    }

    [Fact]
    public async Task Thread_rule_needs_the_call_inside_exactly_one_server_span_of_that_thread()
    {
        var first = Server(T0, T0 + (10 * Ms), seq: 1, local: ("10.0.0.2", 80), peer: ("10.0.0.1", 40000));
        var overlapping = Server(T0 + Ms, T0 + (12 * Ms), seq: 2, local: ("10.0.0.2", 80), peer: ("10.0.0.1", 40001));
        var call = Client(T0 + (2 * Ms), T0 + (3 * Ms), seq: 3, local: ("10.0.0.2", 50000), peer: ("10.0.0.5", 5432));
        foreach (var span in new[] { first, overlapping, call })
        {
            span.Attributes.Add(Int(SpanAttributeNames.ThreadId, 77));
        }

        var store = new InMemorySpanStore();
        await store.AppendAsync(Request(("h2", 20, first), ("h2", 20, overlapping), ("h2", 20, call)), CancellationToken.None);

        var trace = new TraceAssembler(store).Search(SyntheticIds.TraceIdFor(64))!;

        Assert.DoesNotContain(trace.Spans, s => s.Span.ParentSpanId.Length == 8);
    }

    private static ExportTraceServiceRequest Request(params (string Host, int Pid, Span Span)[] spans)
    {
        var request = new ExportTraceServiceRequest();
        foreach (var (host, pid, span) in spans)
        {
            request.ResourceSpans.Add(new ResourceSpans
            {
                Resource = new Resource { Attributes = { Str("host.name", host), Int(SpanAttributeNames.ProcessPid, pid) } },
                ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope(), Spans = { span } } },
            });
        }

        return request;
    }

    private static Span Client(long start, long end, long seq, (string Ip, int Port) local, (string Ip, int Port) peer) => Sensor("c", Span.Types.SpanKind.Client, start, end, seq, local, peer);

    private static Span Server(long start, long end, long seq, (string Ip, int Port) local, (string Ip, int Port) peer) => Sensor("s", Span.Types.SpanKind.Server, start, end, seq, local, peer);

    private static Span Sensor(string side, Span.Types.SpanKind kind, long start, long end, long seq, (string Ip, int Port) local, (string Ip, int Port) peer) => new()
    {
        Name = "GET /",
        Kind = kind,
        StartTimeUnixNano = (ulong)start,
        EndTimeUnixNano = (ulong)end,
        Attributes =
        {
            Str(SpanAttributeNames.TapSide, side),
            Int(SpanAttributeNames.TcpReqSeq, seq),
            Str(SpanAttributeNames.LocalAddress, local.Ip),
            Int(SpanAttributeNames.LocalPort, local.Port),
            Str(SpanAttributeNames.PeerAddress, peer.Ip),
            Int(SpanAttributeNames.PeerPort, peer.Port),
        },
    };

    private static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}
