using System.Runtime.CompilerServices;

using TraceLink.Sensor.Native;

namespace TraceLink.Sensor.Tests.Native;

/// <summary>The C# mirrors must match bpf/sensor.bpf.c, whose _Static_asserts pin the same offsets.</summary>
public sealed unsafe class EventLayoutTests
{
    [Fact]
    public void Event_header_matches_the_bpf_struct_layout()
    {
        var header = default(EventHeader);
        byte* b = (byte*)&header;

        Assert.Equal(112, sizeof(EventHeader));
        Assert.Equal(EventHeader.Size, sizeof(EventHeader));
        Assert.Equal(0, Offset(b, &header.TsEnter));
        Assert.Equal(8, Offset(b, &header.TsExit));
        Assert.Equal(16, Offset(b, &header.Sock));
        Assert.Equal(24, Offset(b, &header.Pid));
        Assert.Equal(28, Offset(b, &header.Tid));
        Assert.Equal(32, Offset(b, &header.Fd));
        Assert.Equal(36, Offset(b, &header.Seq));
        Assert.Equal(40, Offset(b, &header.Ret));
        Assert.Equal(48, Offset(b, &header.Captured));
        Assert.Equal(52, Offset(b, &header.Kind));
        Assert.Equal(53, Offset(b, &header.Direction));
        Assert.Equal(54, Offset(b, &header.Family));
        Assert.Equal(56, Offset(b, &header.LocalPort));
        Assert.Equal(58, Offset(b, &header.RemotePort));
        Assert.Equal(60, Offset(b, &header.Source));
        Assert.Equal(64, Offset(b, header.LocalAddress));
        Assert.Equal(80, Offset(b, header.RemoteAddress));
        Assert.Equal(96, Offset(b, header.Comm));
    }

    [Fact]
    public void Config_and_uprobe_opts_match_their_native_sizes()
    {
        var config = default(SensorConfig);
        byte* b = (byte*)&config;

        Assert.Equal(SensorConfig.Size, sizeof(SensorConfig));
        Assert.Equal(16, Offset(b, &config.WakeupBytes));
        Assert.Equal(24, Offset(b, &config.SelfTgid));

        // libbpf 1.1 checks opts->sz against its own struct bpf_uprobe_opts (40 bytes)
        Assert.Equal(40, sizeof(NativeMethods.UprobeOpts));
    }

    [Fact]
    public void Compiled_bpf_object_is_embedded_and_is_bpf_elf()
    {
        using var stream = typeof(SensorHost).Assembly.GetManifestResourceStream(SensorProgram.ObjectResource);
        Assert.NotNull(stream);
        var elf = new byte[20];
        stream.ReadExactly(elf);

        Assert.Equal("\x7f" + "ELF", System.Text.Encoding.ASCII.GetString(elf, 0, 4));
        Assert.Equal(247, BitConverter.ToUInt16(elf, 18)); // e_machine EM_BPF
    }

    private static long Offset(byte* start, void* field) => (byte*)field - start;
}
