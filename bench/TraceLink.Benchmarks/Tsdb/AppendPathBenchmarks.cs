using System.Buffers.Binary;
using System.Text;

using BenchmarkDotNet.Attributes;

using TraceLink.Ingest.RemoteWrite;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Benchmarks.Tsdb;

/// <summary>
/// The remote-write append path per sample: a decoded (post-snappy) 1.0 request of 2,000 known series with one
/// sample each → appender → WAL record → head chunk. Baseline: the generated-protobuf decode with a label array
/// per series and the label-list appender (the handler before the key path); measured against the wire decoder
/// with <see cref="SeriesKey"/> lookups. Both patch timestamps and values in place so every op appends new samples.
/// </summary>
[MemoryDiagnoser]
public class AppendPathBenchmarks : RemoteWriteAppendBenchmark
{
    private const int Series = 2000;
    private readonly int[] _timestampAt = new int[Series];
    private readonly int[] _valueAt = new int[Series];
    private byte[] _body = [];
    private long _t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (long)TimeSpan.FromDays(60).TotalMilliseconds;
    private double _v;

    [GlobalSetup]
    public void Setup()
    {
        OpenStore(dir => new TsdbOptions { DataDirectory = dir, BlockDuration = TimeSpan.FromDays(365), RetentionTime = TimeSpan.Zero });
        _body = BuildBody();
        Patch();
        DecodeAndCommit(_body);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Series)]
    public void GeneratedProtobufAndLabelArrays()
    {
        Patch();
        var request = Prometheus.WriteRequest.Parser.ParseFrom(_body);
        var app = Store.Appender();
        foreach (var ts in request.Timeseries)
        {
            var labels = Labels(ts.Labels);
            var validated = SeriesValidation.Validate(labels);
            foreach (var s in ts.Samples)
            {
                app.AppendFloat(validated, s.Timestamp, s.Value);
            }
        }

        app.CommitAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Series)]
    public void WireDecoderAndSeriesKeys()
    {
        Patch();
        DecodeAndCommit(_body);
    }

    private void Patch()
    {
        _t += 15_000;
        _v += 1;
        for (int i = 0; i < Series; i++)
        {
            // Timestamps stay in [2^35, 2^42) ms, so the varint keeps its 6 bytes.
            ulong t = (ulong)_t;
            int p = _timestampAt[i];
            for (int k = 0; k < 5; k++)
            {
                _body[p + k] = (byte)(t | 0x80);
                t >>= 7;
            }

            _body[p + 5] = (byte)t;
            BinaryPrimitives.WriteDoubleLittleEndian(_body.AsSpan(_valueAt[i]), _v + i);
        }
    }

    private byte[] BuildBody()
    {
        var w = new MemoryStream();
        for (int s = 0; s < Series; s++)
        {
            var series = new MemoryStream();
            (string, string)[] labels =
            [
                ("__name__", "http_requests_total"), ("code", (200 + (s % 5)).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("instance", "10.0.0." + (s % 250) + ":9100"), ("job", "api"), ("method", s % 2 == 0 ? "GET" : "POST"), ("path", "/api/v1/items/" + s),
            ];
            foreach (var (n, v) in labels)
            {
                var label = new MemoryStream();
                Field(label, 1, Encoding.UTF8.GetBytes(n));
                Field(label, 2, Encoding.UTF8.GetBytes(v));
                Field(series, 1, label.ToArray());
            }

            // Sample: 0x09 fixed64 value, 0x10 6-byte varint timestamp.
            int sampleStart = (int)series.Length + 2;
            series.WriteByte(0x12);
            series.WriteByte(16);
            series.WriteByte(0x09);
            series.Write(new byte[8]);
            series.WriteByte(0x10);
            series.Write(new byte[6]);
            int headerLength = 1 + VarintLength((ulong)series.Length);
            _valueAt[s] = (int)w.Length + headerLength + sampleStart + 1;
            _timestampAt[s] = (int)w.Length + headerLength + sampleStart + 10;
            Field(w, 1, series.ToArray());
        }

        return w.ToArray();
    }

    private static void Field(MemoryStream to, int field, byte[] data)
    {
        to.WriteByte((byte)((field << 3) | 2));
        ulong n = (ulong)data.Length;
        while (n >= 0x80)
        {
            to.WriteByte((byte)(n | 0x80));
            n >>= 7;
        }

        to.WriteByte((byte)n);
        to.Write(data);
    }

    private static int VarintLength(ulong n)
    {
        int k = 1;
        while (n >= 0x80)
        {
            n >>= 7;
            k++;
        }

        return k;
    }
}
