using System.Runtime.InteropServices;

namespace TraceLink.Sensor.Native;

/// <summary>
/// The fixed header of every ring-buffer record, mirroring <c>struct event</c> in bpf/sensor.bpf.c
/// (112 bytes); the captured payload follows it.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
internal unsafe struct EventHeader
{
    public const int Size = 112;

    public ulong TsEnter;
    public ulong TsExit;
    public ulong Sock;
    public uint Pid;
    public uint Tid;
    public uint Fd;
    public uint Seq;
    public long Ret;
    public uint Captured;
    public EventKind Kind;
    public Direction Direction;
    public ushort Family;
    public ushort LocalPort;
    public ushort RemotePort;
    public SyscallSource Source;
    public fixed byte LocalAddress[16];
    public fixed byte RemoteAddress[16];
    public fixed byte Comm[16];
}
