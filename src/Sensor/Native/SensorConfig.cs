using System.Runtime.InteropServices;

namespace TraceLink.Sensor.Native;

/// <summary>Mirror of <c>struct config</c> in bpf/sensor.bpf.c (value of the <c>config</c> array map).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SensorConfig
{
    public const int Size = 32;

    public uint CaptureBytes;
    public uint FilterPid;
    public uint FilterComm;
    public uint FilterPort;
    public ulong WakeupBytes;
    public uint SelfTgid;
    public uint Pad;
}
