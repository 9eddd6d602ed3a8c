namespace TraceLink.Sensor.Native;

/// <summary>The call that produced a record (<c>SC_*</c> in bpf/sensor.bpf.c).</summary>
internal enum SyscallSource : uint
{
    Read = 0,
    Write,
    Readv,
    Writev,
    RecvFrom,
    SendTo,
    RecvMsg,
    SendMsg,
    RecvMmsg,
    SendMmsg,
    Accept4,
    Connect,
    Close,
    SslRead,
    SslWrite,
    BioWrite,
}
