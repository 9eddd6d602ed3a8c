using System.Runtime.InteropServices;

namespace TraceLink.Sensor.Native;

/// <summary>Owns a libbpf <c>struct ring_buffer *</c> (the consumer side of a BPF ring buffer map).</summary>
internal sealed class RingBufferHandle : SafeHandle
{
    public RingBufferHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        NativeMethods.ring_buffer__free(handle);
        return true;
    }
}
