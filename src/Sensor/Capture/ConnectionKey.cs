namespace TraceLink.Sensor.Capture;

/// <summary>Identity of a traced socket: the owning process and the kernel <c>struct sock</c> address.</summary>
internal readonly record struct ConnectionKey(uint Pid, ulong Sock);
