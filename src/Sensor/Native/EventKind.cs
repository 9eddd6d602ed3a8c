namespace TraceLink.Sensor.Native;

/// <summary>Record kinds (<c>EV_*</c> in bpf/sensor.bpf.c).</summary>
internal enum EventKind : byte
{
    Data = 1,
    Connect = 2,
    Accept = 3,
    Close = 4,
    Ssl = 5,
}
