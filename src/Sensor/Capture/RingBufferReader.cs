using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;

using Microsoft.Extensions.Logging;

using TraceLink.Sensor.Native;
using TraceLink.Sensor.Spans;

namespace TraceLink.Sensor.Capture;

/// <summary>
/// Drains the BPF ring buffer on a dedicated thread, feeds the records to the connection tracker
/// and hands finished span batches to a channel. Records are processed inside libbpf's callback,
/// straight from the ring's memory, without copies.
/// </summary>
internal sealed unsafe partial class RingBufferReader : IDisposable
{
    private const int PollTimeoutMs = 50;
    private const int Eintr = 4;
    private readonly SensorProgram _program;
    private readonly SensorOptions _options;
    private readonly ChannelWriter<EncodedSpans> _output;
    private readonly ILogger _logger;
    private readonly ConnectionTracker _tracker;
    private readonly SpanBatch _batch;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _recordsRead;
    private long _bytesRead;
    private long _spansDropped;
    private long _spansQueued;
    private long _callbackErrors;
    private long _parseErrors;
    private long _exchanges;
    private long _unlinkedTls;

    public RingBufferReader(SensorProgram program, SensorOptions options, ChannelWriter<EncodedSpans> output, ILogger logger)
    {
        _program = program;
        _options = options;
        _output = output;
        _logger = logger;
        var limits = new Http.HttpParserLimits(options.MaxHeaderBytes, options.MaxBodyBytes, Math.Max(options.MaxHeaderAttributes, 64));
        _tracker = new ConnectionTracker(limits, OnExchange, MonotonicToUnixNs());
        _batch = new SpanBatch(new SpanFactory(options), _tracker.MessagePool);
        _thread = new Thread(Run) { IsBackground = true, Name = "tracelink-sensor-ringbuf" };
    }

    public long RecordsRead => Interlocked.Read(ref _recordsRead);

    /// <summary>Ring-buffer bytes of the records processed (headers and payloads).</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);

    public long SpansQueued => Interlocked.Read(ref _spansQueued);

    public long SpansDropped => Interlocked.Read(ref _spansDropped);

    public long CallbackErrors => Interlocked.Read(ref _callbackErrors);

    /// <summary>Malformed HTTP messages, as of the last housekeeping pass (the tracker is single-threaded).</summary>
    public long ParseErrors => Interlocked.Read(ref _parseErrors);

    public long Exchanges => Interlocked.Read(ref _exchanges);

    public long UnlinkedTlsRecords => Interlocked.Read(ref _unlinkedTls);

    public void Start() => _thread.Start();

    public void Dispose()
    {
        _stopping = true;
        if (_thread.IsAlive)
        {
            _thread.Join();
        }
    }

    /// <summary>Offset that turns CLOCK_MONOTONIC (bpf_ktime_get_ns, and Stopwatch on Linux) into Unix time.</summary>
    internal static long MonotonicToUnixNs()
    {
        long unixNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        long monotonicNs = (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
        return unixNs - monotonicNs;
    }

    private static ulong MonotonicNow() => (ulong)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));

    private void Run()
    {
        var self = GCHandle.Alloc(this);
        try
        {
            using var ring = NativeMethods.ring_buffer__new(_program.RingBufferFd, &OnSample, GCHandle.ToIntPtr(self), 0);
            if (ring.IsInvalid)
            {
                LogReaderFailed(_logger, NativeMethods.Describe(Marshal.GetLastPInvokeError()));
                return;
            }

            ulong flushNs = (ulong)_options.FlushInterval.TotalNanoseconds;
            ulong idleNs = (ulong)_options.ConnectionIdleTimeout.TotalNanoseconds;
            ulong lastFlush = MonotonicNow();
            ulong lastSweep = lastFlush;
            while (!_stopping)
            {
                int n = NativeMethods.ring_buffer__poll(ring, PollTimeoutMs);
                if (n < 0 && n != -Eintr)
                {
                    LogReaderFailed(_logger, NativeMethods.Describe(n));
                    break;
                }

                // records submitted without a wake-up are drained here
                NativeMethods.ring_buffer__consume(ring);
                ulong now = MonotonicNow();
                if (now - lastFlush >= flushNs)
                {
                    Flush();
                    lastFlush = now;
                }

                if (now - lastSweep >= 1_000_000_000)
                {
                    _tracker.Sweep(now, idleNs);
                    PublishCounters();
                    lastSweep = now;
                }
            }

            NativeMethods.ring_buffer__consume(ring);
            Flush();
            PublishCounters();
        }
        finally
        {
            self.Free();
            _batch.Dispose();
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSample(nint context, nint data, nuint size)
    {
        var reader = (RingBufferReader)GCHandle.FromIntPtr(context).Target!;
        try
        {
            reader.Process(new ReadOnlySpan<byte>((void*)data, (int)size));
        }
#pragma warning disable CA1031 // an exception must never unwind into libbpf; count it and go on
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (Interlocked.Increment(ref reader._callbackErrors) <= 10)
            {
                LogRecordFailed(reader._logger, ex);
            }
        }

        return 0;
    }

    private void Process(ReadOnlySpan<byte> record)
    {
        if (record.Length < EventHeader.Size)
        {
            return;
        }

        Interlocked.Increment(ref _recordsRead);
        Volatile.Write(ref _bytesRead, _bytesRead + record.Length);
        ref readonly var header = ref MemoryMarshal.AsRef<EventHeader>(record);
        int captured = (int)Math.Min(header.Captured, (uint)(record.Length - EventHeader.Size));
        _tracker.OnRecord(header, record.Slice(EventHeader.Size, captured));
    }

    private void PublishCounters()
    {
        Interlocked.Exchange(ref _parseErrors, _tracker.ParseErrors);
        Interlocked.Exchange(ref _unlinkedTls, _tracker.UnlinkedSslRecords);
    }

    private void OnExchange(HttpExchange exchange)
    {
        Interlocked.Increment(ref _exchanges);
        _batch.Add(exchange);
        if (_batch.Count >= _options.MaxSpansPerExport)
        {
            Flush();
        }
    }

    private void Flush()
    {
        if (_batch.Take() is not { } spans)
        {
            return;
        }

        if (_output.TryWrite(spans))
        {
            Interlocked.Add(ref _spansQueued, spans.SpanCount);
        }
        else
        {
            Interlocked.Add(ref _spansDropped, spans.SpanCount);
            spans.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Sensor ring buffer reader stopped: {Reason}")]
    private static partial void LogReaderFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sensor failed to process a record")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception);
}
