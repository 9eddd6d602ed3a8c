namespace TraceLink.Sensor.Http;

/// <summary>Where a run of stream bytes came from: one send/receive call of the traced process.</summary>
/// <param name="Seq">TCP sequence of the first byte of the run.</param>
/// <param name="StartTs">Unix time (ns) at which the call started moving bytes (send entry, receive exit).</param>
/// <param name="EndTs">Unix time (ns) at which the call returned.</param>
/// <param name="Tid">Kernel thread id of the caller.</param>
/// <param name="SyscallTraceId">Per-thread counter carried from an inbound read to the writes that follow it.</param>
internal readonly record struct SegmentInfo(uint Seq, ulong StartTs, ulong EndTs, uint Tid, ulong SyscallTraceId);
