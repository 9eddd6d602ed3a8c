namespace TraceLink.Protocol.Spans;

/// <summary>
/// Attribute keys that carry TraceLink's correlation keys (DESIGN.md §3) on OTLP spans.
/// The sensor writes them, the span store indexes them, trace assembly joins on them.
/// </summary>
public static class SpanAttributeNames
{
    /// <summary>TCP sequence of the first request byte (client write_seq at send, server copied_seq at receive).</summary>
    public const string TcpReqSeq = "tcp.req_seq";

    /// <summary>TCP sequence of the first response byte.</summary>
    public const string TcpRespSeq = "tcp.resp_seq";

    /// <summary>Request id from the configurable header list (X-Request-ID by default), request side.</summary>
    public const string XRequestIdReq = "x_request_id.req";

    /// <summary>Request id seen on the response side (proxies may rewrite it).</summary>
    public const string XRequestIdResp = "x_request_id.resp";

    /// <summary>Per-thread counter carried from an inbound read to the outbound writes of the same thread.</summary>
    public const string SyscallTraceIdReq = "syscall.trace_id.req";

    /// <summary>Syscall trace id of the response side.</summary>
    public const string SyscallTraceIdResp = "syscall.trace_id.resp";

    /// <summary>Kernel thread id that made the syscall.</summary>
    public const string ThreadId = "thread.id";

    /// <summary>Goroutine/coroutine id where known.</summary>
    public const string PseudoThreadId = "pseudo_thread.id";

    /// <summary>Where the span was observed: <c>c</c>, <c>s</c>, <c>c-app</c>, <c>s-app</c>.</summary>
    public const string TapSide = "tap_side";

    /// <summary>Process id (resource or span attribute).</summary>
    public const string ProcessPid = "process.pid";

    /// <summary>Process executable name.</summary>
    public const string ProcessName = "process.executable.name";

    /// <summary>Local address of the socket.</summary>
    public const string LocalAddress = "network.local.address";

    /// <summary>Local port of the socket.</summary>
    public const string LocalPort = "network.local.port";

    /// <summary>Peer address of the socket.</summary>
    public const string PeerAddress = "network.peer.address";

    /// <summary>Peer port of the socket.</summary>
    public const string PeerPort = "network.peer.port";

    /// <summary>Which correlation key linked an assembled sensor span to its parent.</summary>
    public const string LinkKey = "tracelink.link.key";

    /// <summary>The OpenTelemetry resource attribute naming the service.</summary>
    public const string ServiceName = "service.name";
}
