using System.Globalization;

using Google.Protobuf;

using Prometheus;

using Snappier;

namespace TraceLink.Benchmarks.Load;

/// <summary>
/// A scrape-like data set for remote-write load: instances × metric families, counters (integer and fractional
/// rates), gauges (constant, slow integer walks, noisy floats) and integer native histograms, scraped every 15 s with
/// Prometheus' scrape timestamps (aligned to the interval unless a scrape starts more than 2 ms late). Pre-encoded as snappy 1.0 requests per sender shard and scrape, in the
/// order Prometheus' shards would send them.
/// </summary>
internal sealed class ScrapeData
{
    private const int IntervalMs = 15_000;

    private ScrapeData(List<byte[]>[] perSender, long floats, long histograms, long minT, long maxT)
    {
        PerSender = perSender;
        FloatSamples = floats;
        HistogramSamples = histograms;
        MinTime = minT;
        MaxTime = maxT;
    }

    public List<byte[]>[] PerSender { get; }

    public long FloatSamples { get; }

    public long HistogramSamples { get; }

    public long Samples => FloatSamples + HistogramSamples;

    public long MinTime { get; }

    public long MaxTime { get; }

    public static ScrapeData Create(int seriesCount, int scrapes, int senders, int batch, double histogramShare, int seed)
    {
        var random = new Random(seed);
        const int SeriesPerInstance = 1000;
        int instances = Math.Max(1, seriesCount / SeriesPerInstance);
        var series = new SeriesState[seriesCount];
        for (int i = 0; i < seriesCount; i++)
        {
            int instance = i % instances;
            int n = i / instances;
            double pick = random.NextDouble();
            // Roughly node_exporter's mix: many counters that rarely move, constant info/state gauges, a few noisy floats.
            var kind = pick < histogramShare ? Kind.Histogram
                : pick < 0.40 ? Kind.IntCounter
                : pick < 0.48 ? Kind.FloatCounter
                : pick < 0.78 ? Kind.ConstGauge
                : pick < 0.93 ? Kind.WalkGauge
                : Kind.FloatGauge;
            string family = kind switch
            {
                Kind.IntCounter => "app_requests_total",
                Kind.FloatCounter => "process_cpu_seconds_total",
                Kind.ConstGauge => "app_info_state",
                Kind.WalkGauge => "process_resident_memory_bytes",
                Kind.FloatGauge => "node_load",
                _ => "http_request_duration_seconds",
            };
            var labels = new List<Label>
            {
                new() { Name = "__name__", Value = family + (n % 40).ToString(CultureInfo.InvariantCulture) },
                new() { Name = "instance", Value = "10.1." + (instance / 250).ToString(CultureInfo.InvariantCulture) + "." + (instance % 250).ToString(CultureInfo.InvariantCulture) + ":9100" },
                new() { Name = "job", Value = "job" + (instance % 10).ToString(CultureInfo.InvariantCulture) },
                new() { Name = "series", Value = "s" + n.ToString(CultureInfo.InvariantCulture) },
            };
            series[i] = new SeriesState(labels, kind, instance, random);
        }

        long start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - ((long)(scrapes + 4) * IntervalMs);
        var perSender = new List<byte[]>[senders];
        for (int s = 0; s < senders; s++)
        {
            perSender[s] = [];
        }

        long floats = 0, histograms = 0, minT = long.MaxValue, maxT = long.MinValue;
        var jitter = new int[instances];
        for (int k = 0; k < scrapes; k++)
        {
            for (int i = 0; i < instances; i++)
            {
                // Prometheus aligns scrape timestamps within 2 ms of the interval (--scrape.timestamp-tolerance);
                // a scrape that starts later than that keeps its real time.
                jitter[i] = random.NextDouble() < 0.05 ? random.Next(3, 25) : 0;
            }

            for (int shard = 0; shard < senders; shard++)
            {
                var request = new WriteRequest();
                int inRequest = 0;
                for (int i = shard; i < seriesCount; i += senders)
                {
                    var st = series[i];
                    long t = start + ((long)k * IntervalMs) + jitter[st.Instance];
                    minT = Math.Min(minT, t);
                    maxT = Math.Max(maxT, t);
                    var ts = new TimeSeries();
                    ts.Labels.AddRange(st.Labels);
                    if (st.Kind == Kind.Histogram)
                    {
                        ts.Histograms.Add(st.NextHistogram(t, random));
                        histograms++;
                    }
                    else
                    {
                        ts.Samples.Add(new Sample { Timestamp = t, Value = st.NextValue(random) });
                        floats++;
                    }

                    request.Timeseries.Add(ts);
                    if (++inRequest == batch)
                    {
                        perSender[shard].Add(Snappy.CompressToArray(request.ToByteArray()));
                        request = new WriteRequest();
                        inRequest = 0;
                    }
                }

                if (inRequest > 0)
                {
                    perSender[shard].Add(Snappy.CompressToArray(request.ToByteArray()));
                }
            }
        }

        return new ScrapeData(perSender, floats, histograms, minT, maxT);
    }

    private enum Kind
    {
        IntCounter,
        FloatCounter,
        ConstGauge,
        WalkGauge,
        FloatGauge,
        Histogram,
    }

    private sealed class SeriesState
    {
        private readonly double _rate;
        private readonly long[] _buckets = new long[12];
        private double _value;
        private double _sum;
        private long _zero;

        public SeriesState(List<Label> labels, Kind kind, int instance, Random random)
        {
            Labels = labels;
            Kind = kind;
            Instance = instance;
            _rate = kind switch
            {
                Kind.IntCounter => random.NextDouble() < 0.5 ? 0 : random.NextDouble() * 20,
                Kind.FloatCounter => random.NextDouble() * 0.5,
                _ => random.NextDouble() * 5,
            };
            _value = kind switch
            {
                Kind.ConstGauge => random.Next(0, 3),
                Kind.WalkGauge => random.Next(1000, 100_000) * 4096.0,
                Kind.FloatGauge => Math.Round(random.NextDouble() * 4, 2),
                Kind.IntCounter => random.Next(0, 1_000_000),
                _ => Math.Round(random.NextDouble() * 10_000, 2),
            };
        }

        public List<Label> Labels { get; }

        public Kind Kind { get; }

        public int Instance { get; }

        public double NextValue(Random random)
        {
            switch (Kind)
            {
                case Kind.IntCounter:
                    _value += Math.Round(_rate * 15 * (0.8 + (random.NextDouble() * 0.4)));
                    break;
                case Kind.FloatCounter:
                    // CPU seconds: fractional increments with 1/100 s resolution, as /proc reports them.
                    _value = Math.Round(_value + (_rate * 15 * random.NextDouble()), 2);
                    break;
                case Kind.WalkGauge:
                    if (random.NextDouble() < 0.1)
                    {
                        _value += random.Next(-64, 65) * 4096.0;
                    }

                    break;
                case Kind.FloatGauge:
                    _value = Math.Max(0, Math.Round(_value + ((random.NextDouble() - 0.5) * 0.2), 2));
                    break;
                default:
                    break;
            }

            return _value;
        }

        public Histogram NextHistogram(long t, Random random)
        {
            // Schema 3, two spans of six buckets; observations cluster in the middle buckets.
            long observations = (long)(_rate * 15);
            for (long o = 0; o < observations; o++)
            {
                double u = (random.NextDouble() + random.NextDouble()) / 2;
                int b = Math.Min(_buckets.Length - 1, (int)(u * _buckets.Length));
                _buckets[b]++;
                _sum += 0.01 * Math.Pow(2, b / 8.0);
            }

            if (random.NextDouble() < 0.05)
            {
                _zero++;
            }

            var h = new Histogram
            {
                Timestamp = t,
                Schema = 3,
                ZeroThreshold = 1e-128,
                ZeroCountInt = (ulong)_zero,
                Sum = _sum,
                PositiveSpans = { new BucketSpan { Offset = -40, Length = 6 }, new BucketSpan { Offset = 2, Length = 6 } },
            };
            long count = _zero, prev = 0;
            foreach (long c in _buckets)
            {
                h.PositiveDeltas.Add(c - prev);
                prev = c;
                count += c;
            }

            h.CountInt = (ulong)count;
            return h;
        }
    }
}
