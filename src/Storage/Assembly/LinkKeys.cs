using TraceLink.Protocol.Spans;

namespace TraceLink.Storage.Assembly;

/// <summary>Values of <see cref="SpanAttributeNames.LinkKey"/>: which key linked a sensor span to its parent.</summary>
internal static class LinkKeys
{
    public const string Sdk = "sdk";
    public const string TcpReqSeq = SpanAttributeNames.TcpReqSeq;
    public const string TcpRespSeq = SpanAttributeNames.TcpRespSeq;
    public const string SyscallTraceId = "syscall.trace_id";
    public const string XRequestId = "x_request_id";
    public const string ThreadId = SpanAttributeNames.ThreadId;
    public const string TraceId = "trace_id";
}
