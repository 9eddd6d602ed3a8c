using System.Runtime.InteropServices;

namespace TraceLink.Sensor.Native;

/// <summary>Owns a <c>struct bpf_object *</c>; closing it unloads its programs and maps.</summary>
internal sealed class BpfObjectHandle : SafeHandle
{
    public BpfObjectHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        NativeMethods.bpf_object__close(handle);
        return true;
    }
}
