using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

using FASTER.core;

using Google.Protobuf;

using Microsoft.Extensions.Logging.Abstractions;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Storage.Assembly;
using TraceLink.Storage.Spans;

namespace TraceLink.Benchmarks.Spans;

/// <summary>
/// Appending a batch of 1000 realistic spans to <see cref="FasterSpanStore"/> (encode, log, commit, index every kind)
/// against the baseline of enqueueing the same span bytes into a bare FasterLog with one commit and no index, and
/// the same append with the ingest-time trace-group linker as the store's observer (as the server runs it), whose
/// ratio to <see cref="StoreAppend"/> is the store-level cost of linking. Times are per span (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortInProcess))]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the logs in [GlobalCleanup].")]
public class SpanStoreAppendBenchmarks
{
    private const int SpansPerBatch = 1000;
    private const int Batches = 64;
    private readonly OtlpSpanBatch[] _batches = new OtlpSpanBatch[Batches];
    private readonly byte[][][] _spanBytes = new byte[Batches][][];
    private string _directory = string.Empty;
    private FasterSpanStore? _store;
    private FasterSpanStore? _linkedStore;
    private TraceGroupLinker? _linker;
    private IDevice? _rawDevice;
    private FasterLog? _rawLog;
    private int _next;

    /// <summary>Short run, in-process: building a separate benchmark executable times out on the shared 2-core box.</summary>
    private sealed class ShortInProcess : ManualConfig
    {
        public ShortInProcess() => AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
    }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "tracelink-bench-spans-" + Guid.NewGuid().ToString("N"));
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        for (int b = 0; b < Batches; b++)
        {
            ExportTraceServiceRequest request = BenchSpans.Request(b, SpansPerBatch, now + b);
            _batches[b] = OtlpSpanBatch.FromRequest(request);
            var spans = request.ResourceSpans[0].ScopeSpans[0].Spans;
            _spanBytes[b] = new byte[spans.Count][];
            for (int i = 0; i < spans.Count; i++)
            {
                _spanBytes[b][i] = spans[i].ToByteArray();
            }
        }

        _store = FasterSpanStore.Open(new SpanStoreOptions { DataDirectory = _directory, IndexMemorySize = 1L << 28, IndexTableSize = 1L << 24 }, NullLogger.Instance);
        string linkedDirectory = Path.Combine(_directory, "linked");
        _linker = new TraceGroupLinker(new TraceGroupLinkerOptions { DataDirectory = linkedDirectory });
        var linkedOptions = new SpanStoreOptions { DataDirectory = linkedDirectory, IndexMemorySize = 1L << 28, IndexTableSize = 1L << 24 };
        linkedOptions.Observers.Add(_linker);
        _linkedStore = FasterSpanStore.Open(linkedOptions, NullLogger.Instance);
        string rawDirectory = Path.Combine(_directory, "raw");
        Directory.CreateDirectory(rawDirectory);
        _rawDevice = Devices.CreateLogDevice(Path.Combine(rawDirectory, "raw.log"));
        _rawLog = new FasterLog(new FasterLogSettings
        {
            LogDevice = _rawDevice,
            PageSize = 1L << 22,
            MemorySize = 1L << 26,
            SegmentSize = 1L << 28,
            LogCommitDir = Path.Combine(rawDirectory, "commits"),
        });
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _store!.DisposeAsync();
        await _linkedStore!.DisposeAsync();
        _linker!.Dispose();
        _rawLog!.Dispose();
        _rawDevice!.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Bare FasterLog: enqueue the protobuf bytes of 1000 spans, one awaited commit.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = SpansPerBatch)]
    public async Task RawFasterLogEnqueue()
    {
        byte[][] batch = _spanBytes[_next++ % Batches];
        foreach (byte[] span in batch)
        {
            _rawLog!.Enqueue(span);
        }

        await _rawLog!.CommitAsync();
    }

    /// <summary>Full store append of a wire batch (as ingest hands it over): records, group commit, every index kind, tag catalog.</summary>
    [Benchmark(OperationsPerInvoke = SpansPerBatch)]
    public ValueTask<int> StoreAppend() => _store!.AppendAsync(_batches[_next++ % Batches], CancellationToken.None);

    /// <summary>Full store append with the trace-group linker observing it (the server's default).</summary>
    [Benchmark(OperationsPerInvoke = SpansPerBatch)]
    public ValueTask<int> StoreAppendLinked() => _linkedStore!.AppendAsync(_batches[_next++ % Batches], CancellationToken.None);
}
