using System.Text;

using TraceLink.Protocol.Wire;

namespace TraceLink.Benchmarks.PromQL;

/// <summary>
/// Deterministic metric data for the side-by-side latency benchmark, encoded straight into remote-write 1.0 protobuf:
/// 6,000 counters, 2,000 gauges, 1,500 classic-histogram bucket series and 500 native histograms (schema 3), 10,000
/// series in all, one sample every 15 s. Each request holds every series for a time slice, so both receivers see
/// samples in time order.
/// </summary>
internal sealed class BenchData : IDisposable
{
    public const long StepMs = 15_000;
    private static readonly string[] Codes = ["200", "404", "500"];
    private static readonly string[] Les = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"];
    private static readonly double[] LeShares = [0.02, 0.05, 0.12, 0.25, 0.45, 0.70, 0.85, 0.94, 0.99, 1.0];
    private const int NativeBuckets = 32;
    private const int NativeOffset = -8;

    private readonly List<Series> _series = [];
    private readonly ProtoWriter _request = new(4 << 20);
    private readonly ProtoWriter _inner = new(64 << 10);
    private readonly ProtoWriter _hist = new(1 << 10);

    public BenchData(long startMs, int steps)
    {
        StartMs = startMs;
        Steps = steps;
        for (var job = 0; job < 10; job++)
        {
            for (var inst = 0; inst < 200; inst++)
            {
                foreach (var code in Codes)
                {
                    _series.Add(new Series(Kind.Counter, Labels(("__name__", "bench_requests_total"), ("code", code), ("instance", "i" + inst), ("job", "j" + job)), Seed(_series.Count)));
                }

                _series.Add(new Series(Kind.Gauge, Labels(("__name__", "bench_temperature"), ("instance", "i" + inst), ("job", "j" + job)), Seed(_series.Count)));
            }
        }

        for (var inst = 0; inst < 150; inst++)
        {
            // One shared observation counter per instance; each le series reads its cumulative share.
            var shared = new Series(Kind.Counter, [], Seed(100_000 + inst));
            for (var b = 0; b < Les.Length; b++)
            {
                _series.Add(new Series(Kind.ClassicBucket, Labels(("__name__", "bench_latency_seconds_bucket"), ("instance", "h" + inst), ("job", "j" + (inst % 10)), ("le", Les[b])), 0) { Share = LeShares[b], Shared = shared });
            }
        }

        for (var inst = 0; inst < 500; inst++)
        {
            _series.Add(new Series(Kind.Native, Labels(("__name__", "bench_rpc_seconds"), ("instance", "n" + inst), ("job", "j" + (inst % 10))), Seed(200_000 + inst)) { Buckets = new ulong[NativeBuckets] });
        }
    }

    public long StartMs { get; }

    public int Steps { get; }

    public int SeriesCount => _series.Count;

    public long SampleCount => (long)_series.Count * Steps;

    private enum Kind
    {
        Counter,
        Gauge,
        ClassicBucket,
        Native,
    }

    /// <summary>Encodes steps [<paramref name="fromStep"/>, <paramref name="toStep"/>) of every series as one uncompressed WriteRequest.</summary>
    public ReadOnlySpan<byte> Request(int fromStep, int toStep)
    {
        _request.Clear();
        foreach (var s in _series)
        {
            _inner.Clear();
            _inner.Raw(s.LabelBytes);
            for (var i = fromStep; i < toStep; i++)
            {
                var t = StartMs + (i * StepMs);
                if (s.Kind == Kind.Native)
                {
                    AdvanceNative(s);
                    EncodeNative(s, t);
                    _inner.Tag(4, 2);
                    _inner.Varint((ulong)_hist.Length);
                    _inner.Raw(_hist.WrittenSpan);
                    continue;
                }

                var v = s.Kind switch
                {
                    Kind.Counter => s.Value += 1 + (s.Next() % 50),
                    Kind.Gauge => Math.Round(20 + (10 * Math.Sin((s.Seed % 628 / 100.0) + (i / 200.0))) + ((s.Next() % 100) / 100.0), 2),
                    _ => Math.Floor(s.Shared!.ValueAt(i) * s.Share),
                };
                _inner.Tag(2, 2);
                _inner.Varint((ulong)(1 + 8 + 1 + ProtoWriter.VarintSize((ulong)t)));
                _inner.Fixed64Field(1, BitConverter.DoubleToUInt64Bits(v));
                _inner.Tag(2, 0);
                _inner.Varint((ulong)t);
            }

            _request.Tag(1, 2);
            _request.Varint((ulong)_inner.Length);
            _request.Raw(_inner.WrittenSpan);
        }

        return _request.WrittenSpan;
    }

    public void Dispose()
    {
        _request.Dispose();
        _inner.Dispose();
        _hist.Dispose();
    }

    private static ulong ZigZag(long v) => (ulong)((v << 1) ^ (v >> 63));

    private static ulong Seed(int i) => (ulong)(i + 1) * 0x9E3779B97F4A7C15UL;

    private static byte[] Labels(params (string Name, string Value)[] labels)
    {
        using var e = new ProtoWriter(256);
        foreach (var (name, value) in labels)
        {
            var n = Encoding.UTF8.GetBytes(name);
            var v = Encoding.UTF8.GetBytes(value);
            e.Tag(1, 2);
            e.Varint((ulong)(2 + n.Length + 2 + v.Length));
            e.Tag(1, 2);
            e.Varint((ulong)n.Length);
            e.Raw(n);
            e.Tag(2, 2);
            e.Varint((ulong)v.Length);
            e.Raw(v);
        }

        return e.WrittenSpan.ToArray();
    }

    private static void AdvanceNative(Series s)
    {
        var observations = 5 + (int)(s.Next() % 20);
        for (var o = 0; o < observations; o++)
        {
            // Two draws summed give a hump in the middle of the bucket range, like a latency distribution.
            var idx = (int)((s.Next() % (NativeBuckets / 2)) + (s.Next() % (NativeBuckets / 2)));
            s.Buckets![idx]++;
            s.Count++;
            s.Sum += Math.Pow(2, (idx + NativeOffset) / 8.0) * 0.97;
        }
    }

    private void EncodeNative(Series s, long t)
    {
        _hist.Clear();
        _hist.Tag(1, 0);
        _hist.Varint(s.Count);
        _hist.Fixed64Field(3, BitConverter.DoubleToUInt64Bits(s.Sum));
        _hist.Tag(4, 0);
        _hist.Varint(ZigZag(3));
        _hist.Fixed64Field(5, BitConverter.DoubleToUInt64Bits(Math.Pow(2, -128)));
        _hist.Tag(11, 2);
        var spanLength = 1 + ProtoWriter.VarintSize(ZigZag(NativeOffset)) + 1 + ProtoWriter.VarintSize(NativeBuckets);
        _hist.Varint((ulong)spanLength);
        _hist.Tag(1, 0);
        _hist.Varint(ZigZag(NativeOffset));
        _hist.Tag(2, 0);
        _hist.Varint(NativeBuckets);
        var deltasLength = 0;
        long prev = 0;
        foreach (var b in s.Buckets!)
        {
            deltasLength += ProtoWriter.VarintSize(ZigZag((long)b - prev));
            prev = (long)b;
        }

        _hist.Tag(12, 2);
        _hist.Varint((ulong)deltasLength);
        prev = 0;
        foreach (var b in s.Buckets)
        {
            _hist.Varint(ZigZag((long)b - prev));
            prev = (long)b;
        }

        _hist.Tag(15, 0);
        _hist.Varint((ulong)t);
    }

    private sealed class Series(Kind kind, byte[] labelBytes, ulong seed)
    {
        private readonly double[] _ring = new double[1024];
        private int _last = -1;

        public Kind Kind { get; } = kind;

        public byte[] LabelBytes { get; } = labelBytes;

        public ulong Seed { get; } = seed;

        public ulong State { get; set; } = seed | 1;

        public double Value { get; set; }

        public double Share { get; init; }

        public Series? Shared { get; init; }

        public ulong[]? Buckets { get; init; }

        public ulong Count { get; set; }

        public double Sum { get; set; }

        public ulong Next()
        {
            var x = State;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            State = x;
            return x;
        }

        /// <summary>Value of a shared observation counter at step <paramref name="i"/> (steps of the current slice stay readable).</summary>
        public double ValueAt(int i)
        {
            while (_last < i)
            {
                _last++;
                Value += 5 + (Next() % 20);
                _ring[_last & (_ring.Length - 1)] = Value;
            }

            return _ring[i & (_ring.Length - 1)];
        }
    }
}
