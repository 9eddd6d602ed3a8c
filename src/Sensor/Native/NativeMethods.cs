using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TraceLink.Sensor.Native;

/// <summary>P/Invoke surface of libbpf.so.1 (libbpf 1.x, which returns NULL/negative errno and sets errno).</summary>
internal static unsafe partial class NativeMethods
{
    internal const string LibBpf = "libbpf.so.1";
    private const string LibC = "libc";

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial BpfObjectHandle bpf_object__open_mem(byte* buffer, nuint size, nint opts);

    [LibraryImport(LibBpf)]
    internal static partial int bpf_object__load(BpfObjectHandle obj);

    [LibraryImport(LibBpf)]
    internal static partial void bpf_object__close(nint obj);

    [LibraryImport(LibBpf, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint bpf_object__find_program_by_name(BpfObjectHandle obj, string name);

    [LibraryImport(LibBpf, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint bpf_object__find_map_by_name(BpfObjectHandle obj, string name);

    [LibraryImport(LibBpf)]
    internal static partial int bpf_map__set_max_entries(nint map, uint maxEntries);

    [LibraryImport(LibBpf)]
    internal static partial int bpf_map__fd(nint map);

    [LibraryImport(LibBpf)]
    internal static partial int bpf_program__fd(nint prog);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_update_elem(int fd, void* key, void* value, ulong flags);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial int bpf_map_lookup_elem(int fd, void* key, void* value);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial BpfLinkHandle bpf_program__attach(nint prog);

    [LibraryImport(LibBpf, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial BpfLinkHandle bpf_program__attach_uprobe_opts(
        nint prog, int pid, string binaryPath, nuint funcOffset, UprobeOpts* opts);

    [LibraryImport(LibBpf)]
    internal static partial int bpf_link__destroy(nint link);

    [LibraryImport(LibBpf, SetLastError = true)]
    internal static partial RingBufferHandle ring_buffer__new(
        int mapFd, delegate* unmanaged[Cdecl]<nint, nint, nuint, int> sampleCallback, nint ctx, nint opts);

    [LibraryImport(LibBpf)]
    internal static partial int ring_buffer__poll(RingBufferHandle rb, int timeoutMs);

    [LibraryImport(LibBpf)]
    internal static partial int ring_buffer__consume(RingBufferHandle rb);

    [LibraryImport(LibBpf)]
    internal static partial void ring_buffer__free(nint rb);

    [LibraryImport(LibBpf)]
    internal static partial nint libbpf_set_print(delegate* unmanaged[Cdecl]<int, nint, nint, int> fn);

    [LibraryImport(LibBpf)]
    internal static partial int libbpf_num_possible_cpus();

    [LibraryImport(LibBpf)]
    internal static partial int libbpf_strerror(int err, byte* buffer, nuint size);

    /// <summary>libbpf hands its log callback a va_list; on x86-64 SysV that is passed as a pointer.</summary>
    [LibraryImport(LibC, EntryPoint = "vsnprintf")]
    internal static partial int vsnprintf(byte* buffer, nuint size, nint format, nint args);

    [LibraryImport(LibC, EntryPoint = "geteuid")]
    internal static partial uint geteuid();

    [LibraryImport(LibC, EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int mount(string source, string target, string fileSystemType, ulong flags, nint data);

    /// <summary>Describes a libbpf error code (negative errno) in one line.</summary>
    internal static string Describe(int error)
    {
        byte* buffer = stackalloc byte[256];
        int errno = error < 0 ? -error : error;
        if (libbpf_strerror(errno, buffer, 256) != 0)
        {
            return $"errno {errno}";
        }

        return $"{Marshal.PtrToStringUTF8((nint)buffer)} (errno {errno})";
    }

    /// <summary>struct bpf_uprobe_opts as in libbpf 1.1 (40 bytes including the trailing <c>size_t :0</c>).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct UprobeOpts
    {
        public nuint Size;
        public nuint RefCounterOffset;
        public ulong BpfCookie;
        public byte Retprobe;
        public nint FunctionName;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    internal static int ForwardLibbpfLog(int level, nint format, nint args)
    {
        try
        {
            LibbpfLog.Write(level, format, args);
        }
#pragma warning disable CA1031 // an exception must never unwind into libbpf
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        return 0;
    }
}
