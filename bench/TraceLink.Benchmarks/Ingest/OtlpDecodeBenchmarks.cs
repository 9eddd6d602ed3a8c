using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using TraceLink.Benchmarks.Load;
using TraceLink.Ingest.Otlp;
using TraceLink.Protocol.Spans;
using TraceLink.Storage.Spans;

namespace TraceLink.Benchmarks.Ingest;

/// <summary>
/// OTLP decode of a 1,000-span batch, per span (OperationsPerInvoke). The baseline is what ingest did before the wire
/// path: the protobuf object graph, then every span re-encoded into a span-log record. <see cref="WireReadAndEncode"/>
/// is today's ingest path: one validating pass over the bytes, then records copied from the request bytes.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortInProcess))]
public class OtlpDecodeBenchmarks
{
    private const int Spans = 1000;
    private readonly RecordEncoder _encoder = new();
    private readonly byte[] _records = new byte[1 << 20];
    private byte[] _protobuf = [];
    private byte[] _json = [];

    /// <summary>Short run, in-process: building a separate benchmark executable times out on the shared 2-core box.</summary>
    private sealed class ShortInProcess : ManualConfig
    {
        public ShortInProcess() => AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
    }

    [GlobalSetup]
    public void Setup()
    {
        var batch = SpanBatches.Create(seed: 1, traces: Spans / 10, spansPerTrace: 10);
        _protobuf = batch.ToByteArray();
        _json = System.Text.Encoding.UTF8.GetBytes(SpanBatches.ToOtlpJson(batch));
    }

    /// <summary>The former path: protobuf object graph, then each resource, scope and span re-encoded (sizes, then bytes).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Spans)]
    public int ObjectGraphDecodeAndReencode()
    {
        var request = ExportTraceServiceRequest.Parser.ParseFrom(_protobuf);
        var written = 0;
        foreach (var resourceSpans in request.ResourceSpans)
        {
            written += Write(resourceSpans.Resource);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    written += Write(scopeSpans.Scope) + Write(span);
                }
            }
        }

        return written;
    }

    /// <summary>Only the object graph (what the former decoder allocated before encoding).</summary>
    [Benchmark(OperationsPerInvoke = Spans)]
    public ExportTraceServiceRequest ProtobufParserOnly() => ExportTraceServiceRequest.Parser.ParseFrom(_protobuf);

    /// <summary>The wire read alone: validation and span offsets (pooled tables, returned as ingest does).</summary>
    [Benchmark(OperationsPerInvoke = Spans)]
    public int WireRead()
    {
        using var batch = OtlpTraceDecoder.DecodeProtobuf(_protobuf, out _)!;
        return batch.Spans.Length;
    }

    /// <summary>Today's ingest path up to the log: wire read, then span-log records copied from the request bytes.</summary>
    [Benchmark(OperationsPerInvoke = Spans)]
    public int WireReadAndEncode()
    {
        using var batch = OtlpTraceDecoder.DecodeProtobuf(_protobuf, out _)!;
        _encoder.Encode(batch, 1 << 20);
        return _encoder.Count;
    }

    /// <summary>OTLP/JSON (the slow path): JSON to objects, encoded to protobuf, then the wire read.</summary>
    [Benchmark(OperationsPerInvoke = Spans)]
    public int DecodeJson()
    {
        using var batch = OtlpTraceDecoder.DecodeJson(_json, out _)!;
        return batch.Spans.Length;
    }

    private int Write(IMessage? message)
    {
        if (message is null)
        {
            return 0;
        }

        var size = message.CalculateSize();
        message.WriteTo(_records.AsSpan(0, size));
        return size;
    }
}
