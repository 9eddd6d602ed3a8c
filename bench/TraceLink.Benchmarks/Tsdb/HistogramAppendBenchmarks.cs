using BenchmarkDotNet.Attributes;

using Google.Protobuf;

using TraceLink.Ingest.RemoteWrite;
using TraceLink.Storage.Tsdb;

using V1 = Prometheus;

namespace TraceLink.Benchmarks.Tsdb;

/// <summary>
/// The remote-write append path per native histogram (12 buckets in two spans) with one exemplar, 500 known series
/// per 1.0 request → WAL → head. Baseline: the generated-protobuf message per histogram and exemplar converted to the
/// TSDB types (the decoder before the wire reader); measured against <see cref="RemoteWriteDecoder"/>, which reads
/// both in place into the appender's reused histograms. What remains allocated (about 130 B) is the exemplar the bounded
/// exemplar store keeps: its object and its trace-id label string.
/// </summary>
[MemoryDiagnoser]
public class HistogramAppendBenchmarks : RemoteWriteAppendBenchmark
{
    private const int Series = 500;

    // A timestamp whose varint is 6 bytes, so patching it in place keeps the body's layout.
    private static readonly long Start = 1L << 40;
    private readonly List<int> _timestampAt = [];
    private byte[] _body = [];
    private long _t = Start;

    [GlobalSetup]
    public void Setup()
    {
        OpenStore(dir => new TsdbOptions { DataDirectory = dir, BlockDuration = TimeSpan.FromDays(365 * 100), RetentionTime = TimeSpan.Zero, MaxFutureSkew = TimeSpan.FromDays(365 * 100) });
        var request = new V1.WriteRequest();
        for (int s = 0; s < Series; s++)
        {
            var ts = new V1.TimeSeries
            {
                Labels =
                {
                    new V1.Label { Name = "__name__", Value = "http_request_duration_seconds" },
                    new V1.Label { Name = "handler", Value = "/api/v1/h" + s },
                    new V1.Label { Name = "instance", Value = "10.0.0." + (s % 250) + ":8080" },
                    new V1.Label { Name = "job", Value = "api" },
                },
            };
            var h = new V1.Histogram
            {
                Timestamp = Start,
                Schema = 3,
                ZeroThreshold = 1e-128,
                ZeroCountInt = 1,
                Sum = 12.5,
                PositiveSpans = { new V1.BucketSpan { Offset = -40, Length = 6 }, new V1.BucketSpan { Offset = 2, Length = 6 } },
            };
            ulong count = 1;
            for (int b = 0; b < 12; b++)
            {
                h.PositiveDeltas.Add(b < 6 ? 1 : -1);
                count += (ulong)(b < 6 ? b + 1 : 11 - b);
            }

            h.CountInt = count;
            ts.Histograms.Add(h);
            ts.Exemplars.Add(new V1.Exemplar { Timestamp = Start, Value = 0.25, Labels = { new V1.Label { Name = "trace_id", Value = "4bf92f3577b34da6a3ce929d0e0e" + s.ToString("x4", System.Globalization.CultureInfo.InvariantCulture) } } });
            request.Timeseries.Add(ts);
        }

        _body = request.ToByteArray();
        Span<byte> varint = stackalloc byte[6];
        Varint6(Start, varint);
        for (int i = 1; i + 6 <= _body.Length; i++)
        {
            // Histogram field 15 (tag 0x78) and exemplar field 3 (tag 0x18) carrying the start timestamp.
            if (_body[i - 1] is 0x78 or 0x18 && _body.AsSpan(i, 6).SequenceEqual(varint))
            {
                _timestampAt.Add(i);
            }
        }

        if (_timestampAt.Count != 2 * Series)
        {
            throw new InvalidOperationException($"found {_timestampAt.Count} timestamps, expected {2 * Series}");
        }

        Patch();
        DecodeAndCommit(_body);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Series)]
    public void GeneratedMessages()
    {
        Patch();
        var request = V1.WriteRequest.Parser.ParseFrom(_body);
        var app = Store.Appender();
        foreach (var ts in request.Timeseries)
        {
            var labels = Labels(ts.Labels);
            foreach (var h in ts.Histograms)
            {
                var spans = new BucketSpan[h.PositiveSpans.Count];
                for (int i = 0; i < spans.Length; i++)
                {
                    spans[i] = new BucketSpan(h.PositiveSpans[i].Offset, h.PositiveSpans[i].Length);
                }

                app.AppendHistogram(labels, h.Timestamp, new Histogram
                {
                    Schema = h.Schema,
                    ZeroThreshold = h.ZeroThreshold,
                    ZeroCount = h.ZeroCountInt,
                    Count = h.CountInt,
                    Sum = h.Sum,
                    PositiveSpans = spans,
                    PositiveBuckets = [.. h.PositiveDeltas],
                });
            }

            foreach (var e in ts.Exemplars)
            {
                app.AppendExemplar(labels, new Exemplar(Labels(e.Labels), e.Value, e.Timestamp));
            }
        }

        app.CommitAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Series)]
    public void WireDecoder()
    {
        Patch();
        DecodeAndCommit(_body);
    }

    private void Patch()
    {
        _t += 15_000;
        Span<byte> varint = stackalloc byte[6];
        Varint6(_t, varint);
        foreach (int at in _timestampAt)
        {
            varint.CopyTo(_body.AsSpan(at));
        }
    }

    private static void Varint6(long value, Span<byte> into)
    {
        ulong v = (ulong)value;
        for (int k = 0; k < 5; k++)
        {
            into[k] = (byte)(v | 0x80);
            v >>= 7;
        }

        into[5] = (byte)v;
    }
}
