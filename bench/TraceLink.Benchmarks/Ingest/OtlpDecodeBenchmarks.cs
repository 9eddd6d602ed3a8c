using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using TraceLink.Benchmarks.Load;
using TraceLink.Ingest.Otlp;

namespace TraceLink.Benchmarks.Ingest;

/// <summary>OTLP decode of a 1,000-span batch: our validated decoder against the bare protobuf parser.</summary>
[MemoryDiagnoser]
public class OtlpDecodeBenchmarks
{
    private byte[] _protobuf = [];
    private byte[] _json = [];

    [GlobalSetup]
    public void Setup()
    {
        var batch = SpanBatches.Create(seed: 1, traces: 100, spansPerTrace: 10);
        _protobuf = batch.ToByteArray();
        _json = System.Text.Encoding.UTF8.GetBytes(SpanBatches.ToOtlpJson(batch));
    }

    [Benchmark(Baseline = true)]
    public ExportTraceServiceRequest ProtobufParserOnly() => ExportTraceServiceRequest.Parser.ParseFrom(_protobuf);

    [Benchmark]
    public ExportTraceServiceRequest? DecodeProtobuf() => OtlpTraceDecoder.DecodeProtobuf(_protobuf, out _);

    [Benchmark]
    public ExportTraceServiceRequest? DecodeJson() => OtlpTraceDecoder.DecodeJson(_json, out _);
}
