using System.Buffers.Binary;
using System.Globalization;

using Google.Protobuf;

using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;

namespace TraceLink.Benchmarks.Assembly;

/// <summary>
/// Sensor-style traces without a shared trace id: a gateway server span fans out to first-level services, each of
/// which calls leaf services. Client and server spans of a call share tcp seqs on mirrored sockets; a server's
/// outbound calls carry its syscall trace id. Optionally one first-level service also runs an OTel SDK: its server
/// span parsed a traceparent (so it carries the SDK trace id) and five SDK spans share that id. Every trace uses its
/// own sockets, seqs and syscall ids, so traces never touch each other.
/// </summary>
internal static class SensorTraces
{
    private const long Ms = 1_000_000;

    /// <summary>Spans of trace <paramref name="n"/>: 1 + 2·<paramref name="calls"/> + 2·<paramref name="leaves"/> sensor spans, plus 5 SDK spans when <paramref name="traceId"/> is set.</summary>
    public static List<ResourceSpans> Create(int n, long startNanos, int calls, int leaves, ReadOnlySpan<byte> traceId)
    {
        var processes = new Dictionary<string, ScopeSpans>(StringComparer.Ordinal);
        var result = new List<ResourceSpans>();
        var host = "bench-host-" + (n % 64).ToString(CultureInfo.InvariantCulture);
        var seq = (long)n * 10_000_000;
        var syscall = (long)n * 1_000;
        var port = 0;

        ScopeSpans Process(string service, int pid)
        {
            var key = service + "/" + pid.ToString(CultureInfo.InvariantCulture);
            if (!processes.TryGetValue(key, out var scope))
            {
                scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "tracelink.sensor" } };
                processes[key] = scope;
                result.Add(new ResourceSpans
                {
                    Resource = new Resource { Attributes = { Attr(SpanAttributeNames.ServiceName, service), Attr("host.name", host), Attr(SpanAttributeNames.ProcessPid, pid) } },
                    ScopeSpans = { scope },
                });
            }

            return scope;
        }

        string Ip(int service) => string.Create(CultureInfo.InvariantCulture, $"10.{(n >> 8) & 255}.{n & 255}.{service + 1}");

        var rootSyscall = ++syscall;
        var rootEnd = startNanos + (calls * 10 * Ms) + (2 * Ms);
        Process("gateway", 1000).Spans.Add(SensorSpan("GET /checkout", "s", startNanos, rootEnd, Ip(0), 443, "192.0.2.1", 40000 + (n % 20000), ++seq, ++seq, rootSyscall, 0));
        var leafIndex = 0;
        for (var c = 0; c < calls; c++)
        {
            var service = 1 + c;
            var callStart = startNanos + Ms + (c * 10 * Ms);
            var callEnd = callStart + (8 * Ms);
            var clientPort = 20000 + (port++ % 40000);
            long reqSeq = ++seq, respSeq = ++seq;
            var serverSyscall = ++syscall;
            Process("gateway", 1000).Spans.Add(SensorSpan("POST /svc" + c, "c", callStart, callEnd, Ip(0), clientPort, Ip(service), 8080, reqSeq, respSeq, rootSyscall, rootSyscall));
            var server = SensorSpan("POST /svc" + c, "s", callStart + (Ms / 10), callEnd - (Ms / 10), Ip(service), 8080, Ip(0), clientPort, reqSeq, respSeq, serverSyscall, 0);
            var serverScope = Process("svc-" + c.ToString(CultureInfo.InvariantCulture), 2000 + c);
            if (c == 0 && !traceId.IsEmpty)
            {
                server.TraceId = ByteString.CopyFrom(traceId);
                server.ParentSpanId = ByteString.CopyFrom(SpanId(n, 99));
                AddSdkSpans(serverScope, traceId, n, callStart + (Ms / 5), callEnd - (Ms / 5));
            }

            serverScope.Spans.Add(server);
            var mine = (leaves / calls) + (c < leaves % calls ? 1 : 0);
            for (var l = 0; l < mine; l++, leafIndex++)
            {
                var leaf = 100 + leafIndex;
                var leafStart = callStart + (Ms / 5) + (l * Ms * 7 / 10);
                var leafEnd = leafStart + (Ms / 2);
                var leafPort = 20000 + (port++ % 40000);
                long leafReq = ++seq, leafResp = ++seq;
                var leafSyscall = ++syscall;
                serverScope.Spans.Add(SensorSpan("GET /leaf", "c", leafStart, leafEnd, Ip(service), leafPort, Ip(leaf), 6379, leafReq, leafResp, serverSyscall, serverSyscall));
                Process("leaf-" + (leafIndex % 16).ToString(CultureInfo.InvariantCulture), 3000 + leafIndex).Spans.Add(
                    SensorSpan("GET /leaf", "s", leafStart + (Ms / 20), leafEnd - (Ms / 20), Ip(leaf), 6379, Ip(service), leafPort, leafReq, leafResp, leafSyscall, leafSyscall));
            }
        }

        return result;
    }

    /// <summary>A 16-byte SDK trace id unique to trace <paramref name="n"/>.</summary>
    public static byte[] TraceId(int n)
    {
        var id = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(id, 0x5EB5_0000_0000_0000L | (uint)n);
        BinaryPrimitives.WriteInt64BigEndian(id.AsSpan(8), ((long)n * unchecked((long)0x9E37_79B9_7F4A_7C15UL)) | 1);
        return id;
    }

    private static void AddSdkSpans(ScopeSpans scope, ReadOnlySpan<byte> traceId, int n, long start, long end)
    {
        var step = (end - start) / 6;
        for (var i = 0; i < 5; i++)
        {
            scope.Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(traceId),
                SpanId = ByteString.CopyFrom(SpanId(n, i)),
                ParentSpanId = i == 0 ? ByteString.CopyFrom(SpanId(n, 99)) : ByteString.CopyFrom(SpanId(n, 0)),
                Name = i == 0 ? "POST /svc0" : "work " + i.ToString(CultureInfo.InvariantCulture),
                Kind = i == 0 ? Span.Types.SpanKind.Server : Span.Types.SpanKind.Internal,
                StartTimeUnixNano = (ulong)(start + (i * step)),
                EndTimeUnixNano = (ulong)(start + ((i + 1) * step)),
            });
        }
    }

    private static byte[] SpanId(int n, int i)
    {
        var id = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(id, ((long)n << 8) | (long)(i + 1));
        return id;
    }

    private static Span SensorSpan(string name, string side, long start, long end, string localIp, int localPort, string peerIp, int peerPort, long reqSeq, long respSeq, long sysReq, long sysResp)
    {
        var span = new Span
        {
            Name = name,
            Kind = side == "s" ? Span.Types.SpanKind.Server : Span.Types.SpanKind.Client,
            StartTimeUnixNano = (ulong)start,
            EndTimeUnixNano = (ulong)end,
            Attributes =
            {
                Attr(SpanAttributeNames.TapSide, side),
                Attr(SpanAttributeNames.LocalAddress, localIp),
                Attr(SpanAttributeNames.LocalPort, localPort),
                Attr(SpanAttributeNames.PeerAddress, peerIp),
                Attr(SpanAttributeNames.PeerPort, peerPort),
                Attr(SpanAttributeNames.TcpReqSeq, reqSeq),
                Attr(SpanAttributeNames.TcpRespSeq, respSeq),
                Attr(SpanAttributeNames.SyscallTraceIdReq, sysReq),
            },
        };
        if (sysResp != 0)
        {
            span.Attributes.Add(Attr(SpanAttributeNames.SyscallTraceIdResp, sysResp));
        }

        return span;
    }

    private static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Attr(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}
