using System.Runtime.InteropServices;
using System.Text;

using Microsoft.Extensions.Logging;

namespace TraceLink.Sensor.Native;

/// <summary>
/// The loaded bpf/sensor.bpf.o: opens the embedded object, sizes and fills its maps, loads it
/// (CO-RE relocation against the running kernel), and attaches the syscall tracepoints and the
/// libssl uprobes. Disposing detaches everything.
/// </summary>
internal sealed unsafe partial class SensorProgram : IDisposable
{
    internal const string ObjectResource = "bpf/sensor.bpf.o";
    private const string TracefsProbe = "/sys/kernel/tracing/events/syscalls/sys_enter_write/id";

    /// <summary>
    /// The syscall tracepoint programs. A receive has only an exit program (it reads its arguments from the saved
    /// registers); a send's enter program stashes its start time; accept4 and connect look at the socket at both ends;
    /// close has only an enter program.
    /// </summary>
    private static readonly string[] Tracepoints =
    [
        "exit_read", "exit_readv", "exit_recvfrom", "exit_recvmsg", "exit_recvmmsg",
        "enter_write", "exit_write", "enter_writev", "exit_writev", "enter_sendto", "exit_sendto",
        "enter_sendmsg", "exit_sendmsg", "enter_sendmmsg", "exit_sendmmsg",
        "enter_accept4", "exit_accept4", "enter_connect", "exit_connect", "enter_close",
    ];

    private static readonly (string Program, string Function)[] SslProbes =
        [("ssl_read_enter", "SSL_read"), ("ssl_read_ex_enter", "SSL_read_ex"), ("ssl_write_enter", "SSL_write"), ("ssl_write_ex_enter", "SSL_write_ex")];

    private static readonly string[] LibSslCandidates =
        ["/usr/lib/x86_64-linux-gnu/libssl.so.3", "/lib/x86_64-linux-gnu/libssl.so.3", "/usr/lib64/libssl.so.3", "/usr/lib/libssl.so.3"];

    private readonly List<BpfLinkHandle> _links = [];
    private readonly BpfObjectHandle _object;
    private readonly byte* _image;
    private readonly int _countersFd;
    private readonly int _cpus;

    private SensorProgram(BpfObjectHandle obj, byte* image)
    {
        _object = obj;
        _image = image;
        RingBufferFd = MapFd("events");
        _countersFd = MapFd("counters");
        _cpus = Math.Max(1, NativeMethods.libbpf_num_possible_cpus());
    }

    /// <summary>File descriptor of the <c>events</c> ring buffer map.</summary>
    public int RingBufferFd { get; }

    /// <summary>Number of libssl functions probed (0 when TLS capture is off or libssl was not found).</summary>
    public int TlsProbes { get; private set; }

    /// <summary>libcrypto BIO_write functions probed to tie SSL objects to sockets by their handshake bytes.</summary>
    public int TlsLinkProbes { get; private set; }

    /// <summary>Path of the probed libssl, if any.</summary>
    public string? LibSslPath { get; private set; }

    /// <summary>Loads and attaches the sensor; throws <see cref="SensorException"/> with a one-line reason.</summary>
    public static SensorProgram Load(SensorOptions options, ILogger logger)
    {
        LibbpfLog.Install(logger);
        EnsureTracefs();
        byte[] bytes = ReadEmbeddedObject();
        byte* image = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
        bytes.CopyTo(new Span<byte>(image, bytes.Length));
        var obj = NativeMethods.bpf_object__open_mem(image, (nuint)bytes.Length, 0);
        if (obj.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            obj.Dispose();
            NativeMemory.Free(image);
            throw new SensorException($"cannot open the BPF object: {NativeMethods.Describe(errno)}");
        }

        SensorProgram? program = null;
        try
        {
            nint ring = NativeMethods.bpf_object__find_map_by_name(obj, "events");
            if (ring == 0 || NativeMethods.bpf_map__set_max_entries(ring, (uint)options.RingBufferBytes) != 0)
            {
                throw new SensorException("cannot size the BPF ring buffer");
            }

            int rc = NativeMethods.bpf_object__load(obj);
            if (rc != 0)
            {
                throw new SensorException($"the kernel refused the BPF programs: {NativeMethods.Describe(rc)} {LibbpfLog.RecentWarnings()}".TrimEnd());
            }

            program = new SensorProgram(obj, image);
            program.Configure(options);
            program.AttachTracepoints();
            if (options.CaptureTls)
            {
                program.AttachSsl(options.LibSslPath, logger);
            }

            return program;
        }
        catch
        {
            if (program is not null)
            {
                program.Dispose();
            }
            else
            {
                obj.Dispose();
                NativeMemory.Free(image);
            }

            throw;
        }
    }

    /// <summary>Records lost because the ring buffer was full, and records submitted, summed over CPUs.</summary>
    public (long Dropped, long Submitted) ReadCounters() => (ReadCounter(0), ReadCounter(1));

    /// <summary>
    /// Kernel time spent in each attached program and how often it ran, from <c>/proc/self/fdinfo</c> (the kernel
    /// counts only while <c>kernel.bpf_stats_enabled</c> is 1). For benchmarks: splits in-kernel capture cost by program.
    /// </summary>
    public List<(string Program, long RunTimeNs, long RunCount)> ReadProgramStats()
    {
        var stats = new List<(string, long, long)>();
        foreach (string name in ProgramNames())
        {
            nint program = NativeMethods.bpf_object__find_program_by_name(_object, name);
            int fd = program == 0 ? -1 : NativeMethods.bpf_program__fd(program);
            if (fd < 0 || !File.Exists($"/proc/self/fdinfo/{fd}"))
            {
                continue;
            }

            long runTime = 0, runCount = 0;
            foreach (string line in File.ReadLines($"/proc/self/fdinfo/{fd}"))
            {
                if (line.StartsWith("run_time_ns:", StringComparison.Ordinal))
                {
                    runTime = long.Parse(line.AsSpan(12).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("run_cnt:", StringComparison.Ordinal))
                {
                    runCount = long.Parse(line.AsSpan(8).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            stats.Add((name, runTime, runCount));
        }

        return stats;
    }

    public void Dispose()
    {
        foreach (var link in _links)
        {
            link.Dispose();
        }

        _links.Clear();
        if (!_object.IsClosed)
        {
            _object.Dispose();
            NativeMemory.Free(_image);
        }
    }

    /// <summary>Classic syscall tracepoints need tracefs; nothing mounts it at boot on some machines.</summary>
    internal static string? EnsureTracefs()
    {
        if (File.Exists(TracefsProbe))
        {
            return null;
        }

        if (NativeMethods.mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, 0) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return $"tracefs is not mounted at /sys/kernel/tracing and mounting it failed (errno {errno})";
        }

        return File.Exists(TracefsProbe) ? null : "tracefs has no syscall tracepoints (kernel without CONFIG_FTRACE_SYSCALLS)";
    }

    private static byte[] ReadEmbeddedObject()
    {
        using var stream = typeof(SensorProgram).Assembly.GetManifestResourceStream(ObjectResource)
            ?? throw new SensorException($"the BPF object {ObjectResource} is not embedded in this build");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private void Configure(SensorOptions options)
    {
        var config = new SensorConfig
        {
            CaptureBytes = (uint)options.PayloadBytes,
            FilterPid = options.Pids.Count > 0 ? 1u : 0u,
            FilterComm = options.ProcessNames.Count > 0 ? 1u : 0u,
            FilterPort = options.Ports.Count > 0 ? 1u : 0u,
            // a threshold near the ring's size would let it fill between two timed polls
            WakeupBytes = (ulong)Math.Clamp(options.WakeupBytes, 1, options.RingBufferBytes / 4),
            SelfTgid = options.TraceSelf ? 0u : (uint)Environment.ProcessId,
        };
        byte one = 1;
        foreach (int pid in options.Pids)
        {
            uint key = (uint)pid;
            Update("filter_pids", &key, &one);
        }

        foreach (int port in options.Ports)
        {
            ushort key = (ushort)port;
            Update("filter_ports", &key, &one);
        }

        byte* comm = stackalloc byte[16];
        foreach (string name in options.ProcessNames)
        {
            new Span<byte>(comm, 16).Clear();
            Encoding.UTF8.GetBytes(name.AsSpan(), new Span<byte>(comm, 15));
            Update("filter_comms", comm, &one);
        }

        uint zero = 0;
        Update("config", &zero, &config);
    }

    private void Update(string map, void* key, void* value)
    {
        if (NativeMethods.bpf_map_update_elem(MapFd(map), key, value, 0) != 0)
        {
            throw new SensorException($"cannot write BPF map {map}: {NativeMethods.Describe(Marshal.GetLastPInvokeError())}");
        }
    }

    private static IEnumerable<string> ProgramNames()
    {
        foreach (string tracepoint in Tracepoints)
        {
            yield return tracepoint;
        }

        foreach (var (program, _) in SslProbes)
        {
            yield return program;
        }

        yield return "ssl_return";
        yield return "ssl_set_bio_enter";
        yield return "bio_write_enter";
    }

    private void AttachTracepoints()
    {
        foreach (string tracepoint in Tracepoints)
        {
            Attach(tracepoint);
        }
    }

    private void Attach(string name)
    {
        var link = NativeMethods.bpf_program__attach(Program(name));
        if (link.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            link.Dispose();
            throw new SensorException($"cannot attach {name}: {NativeMethods.Describe(errno)}");
        }

        _links.Add(link);
    }

    private void AttachSsl(string? configuredPath, ILogger logger)
    {
        string? path = configuredPath ?? Array.Find(LibSslCandidates, File.Exists);
        if (path is null)
        {
            LogNoLibSsl(logger);
            return;
        }

        nint ret = Program("ssl_return");
        foreach (var (programName, function) in SslProbes)
        {
            if (TryAttachUprobe(Program(programName), path, function, retprobe: false)
                && TryAttachUprobe(ret, path, function, retprobe: true))
            {
                TlsProbes++;
            }
        }

        // ties each SSL object to its socket by the ciphertext of its handshake (see bpf/sensor.bpf.c)
        string libCrypto = Path.Combine(Path.GetDirectoryName(path) ?? "/", "libcrypto.so.3");
        if (TlsProbes > 0 && File.Exists(libCrypto)
            && TryAttachUprobe(Program("ssl_set_bio_enter"), path, "SSL_set_bio", retprobe: false))
        {
            nint bioWrite = Program("bio_write_enter");
            TlsLinkProbes = (TryAttachUprobe(bioWrite, libCrypto, "BIO_write", retprobe: false) ? 1 : 0)
                + (TryAttachUprobe(bioWrite, libCrypto, "BIO_write_ex", retprobe: false) ? 1 : 0);
        }

        LibSslPath = TlsProbes > 0 ? path : null;
        LogTlsProbes(logger, TlsProbes, path, TlsLinkProbes);
    }

    private bool TryAttachUprobe(nint program, string path, string function, bool retprobe)
    {
        nint name = Marshal.StringToCoTaskMemUTF8(function);
        try
        {
            var opts = new NativeMethods.UprobeOpts
            {
                Size = (nuint)sizeof(NativeMethods.UprobeOpts),
                Retprobe = retprobe ? (byte)1 : (byte)0,
                FunctionName = name,
            };

            // pid -1: every process that maps this file, present and future
            var link = NativeMethods.bpf_program__attach_uprobe_opts(program, -1, path, 0, &opts);
            if (link.IsInvalid)
            {
                link.Dispose();
                return false;
            }

            _links.Add(link);
            return true;
        }
        finally
        {
            Marshal.FreeCoTaskMem(name);
        }
    }

    private nint Program(string name)
    {
        nint program = NativeMethods.bpf_object__find_program_by_name(_object, name);
        return program != 0 ? program : throw new SensorException($"the BPF object has no program {name}");
    }

    private int MapFd(string name)
    {
        nint map = NativeMethods.bpf_object__find_map_by_name(_object, name);
        int fd = map == 0 ? -1 : NativeMethods.bpf_map__fd(map);
        return fd >= 0 ? fd : throw new SensorException($"the BPF object has no map {name}");
    }

    private long ReadCounter(uint index)
    {
        if (_object.IsClosed)
        {
            return 0;
        }

        // per-CPU values are 8-byte aligned, one per possible CPU
        ulong* values = stackalloc ulong[_cpus];
        if (NativeMethods.bpf_map_lookup_elem(_countersFd, &index, values) != 0)
        {
            return 0;
        }

        ulong sum = 0;
        for (int i = 0; i < _cpus; i++)
        {
            sum += values[i];
        }

        return (long)sum;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No libssl.so.3 found: TLS plaintext will not be captured")]
    private static partial void LogNoLibSsl(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Probed {Count} libssl functions in {Path} ({LinkProbes} BIO_write probes tie SSL objects to sockets)")]
    private static partial void LogTlsProbes(ILogger logger, int count, string path, int linkProbes);
}
