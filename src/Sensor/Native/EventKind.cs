namespace TraceLink.Sensor.Native;

/// <summary>Record kinds (<c>EV_*</c> in bpf/sensor.bpf.c).</summary>
internal enum EventKind : byte
{
    Data = 1,
    Connect = 2,
    Accept = 3,
    Close = 4,
    Ssl = 5,

    /// <summary>The first ciphertext bytes an SSL object wrote to its write BIO (ties the object to a socket).</summary>
    TlsOut = 6,
}
