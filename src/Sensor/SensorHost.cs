using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using System.Threading.Channels;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using TraceLink.Sensor.Capture;
using TraceLink.Sensor.Native;
using TraceLink.Sensor.Spans;

namespace TraceLink.Sensor;

/// <summary>
/// Runs the eBPF sensor: loads and attaches the BPF programs, reads the ring buffer on its own
/// thread, and hands rich OTLP spans, encoded as OTLP/protobuf <c>ExportTraceServiceRequest</c> bodies, to a sink (the
/// in-process ingest, or <see cref="Export.OtlpHttpExporter"/>).
/// </summary>
public sealed partial class SensorHost : IDisposable
{
    private const int QueuedExports = 64;
    private readonly SensorOptions _options;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Meter? _meter;
    private SensorProgram? _program;
    private RingBufferReader? _reader;
    private long _spansExported;
    private long _spansFailed;
    private (long Dropped, long Submitted) _finalCounters;

    /// <summary>Creates a sensor; nothing is loaded until <see cref="RunAsync"/>.</summary>
    public SensorHost(SensorOptions options, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SensorHost>();
        if (meterFactory is not null)
        {
            _meter = meterFactory.Create("TraceLink.Sensor");
            _meter.CreateObservableCounter("tracelink.sensor.ringbuf.dropped", () => Statistics.RingBufferDrops, "{record}",
                "Records lost because the BPF ring buffer was full");
            _meter.CreateObservableCounter("tracelink.sensor.records", () => Statistics.RecordsRead, "{record}",
                "Ring-buffer records processed");
            _meter.CreateObservableCounter("tracelink.sensor.spans", () => Statistics.SpansExported, "{span}",
                "Spans handed to the sink");
            _meter.CreateObservableCounter("tracelink.sensor.spans.dropped", () => Statistics.SpansDropped, "{span}",
                "Spans lost because the sink fell behind or failed");
        }
    }

    /// <summary>Completes once the programs are attached (faults with <see cref="SensorException"/> if they cannot be).</summary>
    public Task Started => _started.Task;

    /// <summary>The sensor's counters now.</summary>
    public SensorStatistics Statistics
    {
        get
        {
            var program = _program;
            var counters = program is not null ? program.ReadCounters() : _finalCounters;
            var reader = _reader;
            return new SensorStatistics(
                counters.Dropped,
                counters.Submitted,
                reader?.RecordsRead ?? 0,
                reader?.Exchanges ?? 0,
                Interlocked.Read(ref _spansExported),
                (reader?.SpansDropped ?? 0) + Interlocked.Read(ref _spansFailed),
                reader?.ParseErrors ?? 0,
                reader?.UnlinkedTlsRecords ?? 0,
                program?.TlsProbes ?? 0);
        }
    }

    /// <summary>Ring-buffer bytes read so far (record headers and payloads), for benchmarks.</summary>
    internal long RingBytesRead => _reader?.BytesRead ?? 0;

    /// <summary>Per-program kernel run time and run count while attached (empty otherwise); see <see cref="SensorProgram.ReadProgramStats"/>.</summary>
    internal List<(string Program, long RunTimeNs, long RunCount)> ReadProgramStats() => _program?.ReadProgramStats() ?? [];

    /// <summary>
    /// Returns null when this machine can run the sensor, else one line saying what is missing
    /// (Linux, root, kernel BTF, libbpf, tracefs). Mounts tracefs when it is the only thing missing.
    /// </summary>
    public static string? Check()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return "the eBPF sensor needs Linux on x86-64";
        }

        if (NativeMethods.geteuid() != 0)
        {
            return "the eBPF sensor needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN); run as root or without the sensor";
        }

        if (!File.Exists("/sys/kernel/btf/vmlinux"))
        {
            return "the kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing), so CO-RE programs cannot be relocated";
        }

        if (!NativeLibrary.TryLoad(NativeMethods.LibBpf, out var libbpf))
        {
            return "libbpf.so.1 is not installed (Debian package libbpf1)";
        }

        NativeLibrary.Free(libbpf);
        return SensorProgram.EnsureTracefs();
    }

    /// <summary>
    /// Attaches the sensor and delivers span batches to <paramref name="sink"/> until cancelled, then detaches and
    /// flushes what is left. Each batch is an encoded OTLP <c>ExportTraceServiceRequest</c> whose memory is reused
    /// once the sink's task completes. Throws <see cref="SensorException"/> if the sensor cannot start.
    /// </summary>
    public async Task RunAsync(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        if (_options.Validate() is { } invalid)
        {
            var error = new SensorException(invalid);
            _started.TrySetException(error);
            throw error;
        }

        if (Check() is { } missing)
        {
            var error = new SensorException(missing);
            _started.TrySetException(error);
            throw error;
        }

        var channel = Channel.CreateBounded<EncodedSpans>(
            new BoundedChannelOptions(QueuedExports) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        try
        {
            _program = SensorProgram.Load(_options, _logger);
        }
        catch (SensorException ex)
        {
            _started.TrySetException(ex);
            throw;
        }

        _reader = new RingBufferReader(_program, _options, channel.Writer, _logger);
        _reader.Start();
        LogStarted(_logger, _program.TlsProbes);
        _started.TrySetResult();
        try
        {
            await using var registration = cancellationToken.Register(() => channel.Writer.TryComplete());
            await DrainAsync(channel.Reader, sink, stopAtCancel: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // stop the reader first so its last batch is queued, then deliver what is left
            _reader.Dispose();
            _finalCounters = _program.ReadCounters();
            _program.Dispose();
            _program = null;
            channel.Writer.TryComplete();
            using var flush = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await DrainAsync(channel.Reader, sink, stopAtCancel: false, flush.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the reader if <see cref="RunAsync"/> is still running and releases the meter.</summary>
    public void Dispose()
    {
        _reader?.Dispose();
        _program?.Dispose();
        _meter?.Dispose();
    }

    private async Task DrainAsync(
        ChannelReader<EncodedSpans> reader,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink,
        bool stopAtCancel,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            EncodedSpans? spans;
            try
            {
                if (!await reader.WaitToReadAsync(stopAtCancel ? cancellationToken : CancellationToken.None).ConfigureAwait(false)
                    || !reader.TryRead(out spans))
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            using var batch = spans;
            int count = batch.SpanCount;
            try
            {
                await sink(batch.Body, cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _spansExported, count);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Interlocked.Add(ref _spansFailed, count);
                if (!stopAtCancel)
                {
                    return;
                }
            }
#pragma warning disable CA1031 // a failing sink (server down) must not stop the sensor
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Add(ref _spansFailed, count);
                LogSinkFailed(_logger, count, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "eBPF sensor attached ({TlsProbes} libssl probes)")]
    private static partial void LogStarted(ILogger logger, int tlsProbes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sensor sink failed; {Count} spans lost")]
    private static partial void LogSinkFailed(ILogger logger, int count, Exception exception);
}
