using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Prometheus;
using Snappier;

namespace TraceLink.Benchmarks.Tsdb;

/// <summary>Snappy block + protobuf decode of a 2,000-series, 10-samples-each remote-write request; baseline is snappy alone.</summary>
[MemoryDiagnoser]
public class RemoteWriteDecodeBenchmarks
{
    private byte[] _compressed = [];
    private byte[] _buffer = [];

    [GlobalSetup]
    public void Setup()
    {
        var req = new WriteRequest();
        for (int s = 0; s < 2000; s++)
        {
            var ts = new TimeSeries
            {
                Labels =
                {
                    new Label { Name = "__name__", Value = "http_requests_total" },
                    new Label { Name = "instance", Value = "10.0.0." + (s % 250) + ":9100" },
                    new Label { Name = "job", Value = "node" },
                    new Label { Name = "path", Value = "/api/v" + s },
                },
            };
            for (int i = 0; i < 10; i++)
            {
                ts.Samples.Add(new Sample { Timestamp = 1_700_000_000_000 + (i * 15_000L), Value = s + i });
            }

            req.Timeseries.Add(ts);
        }

        _compressed = Snappy.CompressToArray(req.ToByteArray());
        _buffer = new byte[Snappy.GetUncompressedLength(_compressed)];
    }

    [Benchmark(Baseline = true)]
    public int SnappyOnly() => Snappy.Decompress(_compressed, _buffer);

    [Benchmark]
    public int SnappyAndProtobuf()
    {
        int n = Snappy.Decompress(_compressed, _buffer);
        return WriteRequest.Parser.ParseFrom(_buffer.AsSpan(0, n)).Timeseries.Count;
    }
}
