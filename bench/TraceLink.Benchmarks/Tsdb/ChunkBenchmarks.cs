using BenchmarkDotNet.Attributes;
using TraceLink.Storage.Tsdb;
using TraceLink.Storage.Tsdb.Chunks;

namespace TraceLink.Benchmarks.Tsdb;

/// <summary>Encode and decode of a full 120-sample XOR chunk and a 120-sample integer histogram chunk.</summary>
[MemoryDiagnoser]
public class ChunkBenchmarks
{
    private readonly List<Sample> _decoded = new(128);
    private readonly List<(long, Histogram)> _histograms = [];
    private ChunkData _xor = null!;
    private ChunkData _hist = null!;

    [GlobalSetup]
    public void Setup()
    {
        _xor = Xor();
        for (int i = 0; i < 120; i++)
        {
            _histograms.Add((1_700_000_000_000 + (i * 15_000L), new Histogram
            {
                Schema = 3,
                ZeroThreshold = Math.ScaleB(1, -128),
                Count = (ulong)(10 * (i + 1)),
                ZeroCount = (ulong)(i + 1),
                Sum = i * 3.25,
                PositiveSpans = [new BucketSpan(0, 9)],
                PositiveBuckets = [i + 1, 0, 0, 0, 0, 0, 0, 0, 0],
            }));
        }

        _hist = HistogramChunkAppender.Encode(_histograms, HistogramChunkFlags.Unknown);
    }

    [Benchmark(Baseline = true)]
    public int EncodeXor() => Xor().Data.Length;

    [Benchmark]
    public int DecodeXor()
    {
        _decoded.Clear();
        ChunkDecoder.Decode(_xor, _decoded);
        return _decoded.Count;
    }

    [Benchmark]
    public int EncodeHistogram() => HistogramChunkAppender.Encode(_histograms, HistogramChunkFlags.Unknown).Data.Length;

    [Benchmark]
    public int DecodeHistogram()
    {
        _decoded.Clear();
        ChunkDecoder.Decode(_hist, _decoded);
        return _decoded.Count;
    }

    private static ChunkData Xor()
    {
        var a = new XorAppender();
        for (int i = 0; i < 120; i++)
        {
            a.Append(1_700_000_000_000 + (i * 15_000L) + (i % 3), 100 + (i % 7 * 0.5));
        }

        return a.ToChunk();
    }
}
