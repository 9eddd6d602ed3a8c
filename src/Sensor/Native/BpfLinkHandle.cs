using System.Runtime.InteropServices;

namespace TraceLink.Sensor.Native;

/// <summary>Owns a <c>struct bpf_link *</c>; destroying it detaches the program.</summary>
internal sealed class BpfLinkHandle : SafeHandle
{
    public BpfLinkHandle()
        : base(0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => NativeMethods.bpf_link__destroy(handle) == 0;
}
