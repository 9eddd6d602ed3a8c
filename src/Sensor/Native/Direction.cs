namespace TraceLink.Sensor.Native;

/// <summary>Which way the bytes of a record moved, seen from the traced process.</summary>
internal enum Direction : byte
{
    Egress = 0,
    Ingress = 1,
}
