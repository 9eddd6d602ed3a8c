using System.Globalization;

using Google.Protobuf;

using Prometheus;

using Snappier;

namespace TraceLink.Benchmarks.Load;

/// <summary>
/// A scrape-like data set for remote-write load, modelled on what exporters really expose. Every target (instance)
/// exposes the same ~880 series: node_exporter-style families (per-cpu/mode CPU seconds, per-device network and
/// disk counters, per-mountpoint filesystem gauges, memory gauges, load averages), an application's
/// <c>http_requests_total{handler,method,code}</c>, gRPC and job counters, queue/lag gauges, <c>*_info</c> gauges,
/// and native histograms <c>http_request_duration_seconds{handler,method}</c>. Labels are <c>__name__</c>,
/// <c>instance</c>, <c>job</c> plus the family's own few. Values: counters grow by small integer steps (byte
/// counters by whole pages/packets, CPU seconds by 0.01 s ticks) or stay flat (error/drop counters, idle codes);
/// gauges mostly repeat, some walk slowly, load averages change every scrape with two decimals. Each target is
/// scraped every 15 s at its own phase; the scrape starts a few ms late, and like Prometheus (timestamp
/// tolerance 2 ms) the stored timestamp is the aligned one unless the delay exceeds 2 ms (about 3 % of scrapes).
/// Pre-encoded as snappy 1.0 requests per sender shard and scrape, in the order Prometheus' shards would send them.
/// </summary>
internal sealed class ScrapeData
{
    /// <summary>One line for the tool's help and README: the value/label model above.</summary>
    public const string Model =
        "per target ~880 series like node_exporter + an app (job/instance/__name__ + 0-3 labels); counters step by small integers or stay flat, " +
        "gauges mostly repeat or walk slowly; 15 s scrapes at a per-target phase, timestamps aligned unless a scrape is > 2 ms late (~3 %)";

    private const int IntervalMs = 15_000;

    private ScrapeData(List<byte[]>[] perSender, long floats, long histograms, int seriesPerTarget)
    {
        PerSender = perSender;
        FloatSamples = floats;
        HistogramSamples = histograms;
        SeriesPerTarget = seriesPerTarget;
    }

    public List<byte[]>[] PerSender { get; }

    public long FloatSamples { get; }

    public long HistogramSamples { get; }

    public long Samples => FloatSamples + HistogramSamples;

    public int SeriesPerTarget { get; }

    public static ScrapeData Create(int seriesCount, int scrapes, int senders, int batch, double histogramShare, int seed, string instancePrefix = "10.1.")
    {
        var random = new Random(seed);
        var template = Template(histogramShare);
        int targets = Math.Max(1, (seriesCount + template.Count - 1) / template.Count);
        var series = new SeriesState[seriesCount];
        var phase = new int[targets];
        for (int t = 0; t < targets; t++)
        {
            phase[t] = random.Next(0, IntervalMs);
        }

        for (int i = 0; i < seriesCount; i++)
        {
            // Series i belongs to target i % targets so every shard and request mixes targets, as Prometheus' do.
            int target = i % targets;
            var def = template[(i / targets) % template.Count];
            string instance = instancePrefix + (target / 250).ToString(CultureInfo.InvariantCulture) + "." + (target % 250).ToString(CultureInfo.InvariantCulture) + ":" + def.Port;
            var labels = new List<Label>(def.Labels.Length + 3)
            {
                new() { Name = "__name__", Value = def.Name },
                new() { Name = "instance", Value = instance },
                new() { Name = "job", Value = def.Job },
            };
            foreach (var (name, value) in def.Labels)
            {
                labels.Add(new Label { Name = name, Value = value });
            }

            labels.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            series[i] = new SeriesState(labels, def, target, random);
        }

        long start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - ((long)(scrapes + 4) * IntervalMs);
        start -= start % IntervalMs;
        var perSender = new List<byte[]>[senders];
        for (int s = 0; s < senders; s++)
        {
            perSender[s] = [];
        }

        long floats = 0, histograms = 0;
        var timestamp = new long[targets];
        for (int k = 0; k < scrapes; k++)
        {
            for (int t = 0; t < targets; t++)
            {
                // A scrape starts 0-2 ms late (timer and scheduling); Prometheus stores the aligned time then. Now and
                // then a scrape starts later than the 2 ms tolerance and keeps its real time.
                long aligned = start + ((long)k * IntervalMs) + phase[t];
                timestamp[t] = random.NextDouble() < 0.03 ? aligned + random.Next(3, 30) : aligned;
            }

            for (int shard = 0; shard < senders; shard++)
            {
                var request = new WriteRequest();
                int inRequest = 0;
                for (int i = shard; i < seriesCount; i += senders)
                {
                    var st = series[i];
                    long t = timestamp[st.Target];
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

        return new ScrapeData(perSender, floats, histograms, template.Count);
    }

    /// <summary>The series one target exposes.</summary>
    private static List<SeriesDef> Template(double histogramShare)
    {
        var list = new List<SeriesDef>(1100);
        const string Node = "node", App = "app";
        string[] modes = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"];
        for (int cpu = 0; cpu < 8; cpu++)
        {
            foreach (var mode in modes)
            {
                // Idle/user/system tick every scrape; steal, nice and irq stay flat on most machines.
                var kind = mode is "steal" or "nice" or "irq" ? Kind.FlatCounter : Kind.CpuCounter;
                list.Add(new SeriesDef("node_cpu_seconds_total", Node, kind, [("cpu", Str(cpu)), ("mode", mode)]));
            }
        }

        foreach (var device in (string[])["eth0", "eth1", "lo", "docker0"])
        {
            foreach (var dir in (string[])["receive", "transmit"])
            {
                list.Add(new SeriesDef($"node_network_{dir}_bytes_total", Node, Kind.ByteCounter, [("device", device)]));
                list.Add(new SeriesDef($"node_network_{dir}_packets_total", Node, Kind.IntCounter, [("device", device)]));
                list.Add(new SeriesDef($"node_network_{dir}_errs_total", Node, Kind.FlatCounter, [("device", device)]));
                list.Add(new SeriesDef($"node_network_{dir}_drop_total", Node, Kind.FlatCounter, [("device", device)]));
            }
        }

        foreach (var device in (string[])["sda", "sdb", "nvme0n1", "dm-0"])
        {
            list.Add(new SeriesDef("node_disk_reads_completed_total", Node, Kind.IntCounter, [("device", device)]));
            list.Add(new SeriesDef("node_disk_writes_completed_total", Node, Kind.IntCounter, [("device", device)]));
            list.Add(new SeriesDef("node_disk_read_bytes_total", Node, Kind.ByteCounter, [("device", device)]));
            list.Add(new SeriesDef("node_disk_written_bytes_total", Node, Kind.ByteCounter, [("device", device)]));
            list.Add(new SeriesDef("node_disk_io_time_seconds_total", Node, Kind.CpuCounter, [("device", device)]));
        }

        string[] mounts = ["/", "/boot", "/var", "/home", "/var/lib/docker", "/run"];
        for (int m = 0; m < mounts.Length; m++)
        {
            (string, string)[] fs = [("device", "/dev/sda" + Str(m + 1)), ("fstype", m == 5 ? "tmpfs" : "ext4"), ("mountpoint", mounts[m])];
            list.Add(new SeriesDef("node_filesystem_size_bytes", Node, Kind.ConstGauge, fs));
            list.Add(new SeriesDef("node_filesystem_avail_bytes", Node, Kind.WalkGauge, fs));
            list.Add(new SeriesDef("node_filesystem_free_bytes", Node, Kind.WalkGauge, fs));
            list.Add(new SeriesDef("node_filesystem_files", Node, Kind.ConstGauge, fs));
            list.Add(new SeriesDef("node_filesystem_files_free", Node, Kind.WalkGauge, fs));
        }

        for (int i = 0; i < 40; i++)
        {
            list.Add(new SeriesDef("node_memory_m" + Str(i) + "_bytes", Node, i % 2 == 0 ? Kind.ConstGauge : Kind.WalkGauge, []));
        }

        foreach (var load in (string[])["node_load1", "node_load5", "node_load15"])
        {
            list.Add(new SeriesDef(load, Node, Kind.FloatGauge, []));
        }

        foreach (var name in (string[])["node_procs_running", "node_procs_blocked", "node_context_switches_total", "node_intr_total", "node_forks_total", "node_boot_time_seconds", "node_time_zone_offset_seconds"])
        {
            var kind = name.EndsWith("_total", StringComparison.Ordinal) ? Kind.IntCounter : name.Contains("procs", StringComparison.Ordinal) ? Kind.WalkGauge : Kind.ConstGauge;
            list.Add(new SeriesDef(name, Node, kind, []));
        }

        int handlers = 30;
        string[] codes = ["200", "304", "404", "500"];
        for (int h = 0; h < handlers; h++)
        {
            foreach (var method in (string[])["GET", "POST"])
            {
                foreach (var code in codes)
                {
                    // Most handler/method/code combinations see no traffic between two scrapes.
                    var kind = code == "200" && (h < 10 || method == "GET") ? Kind.IntCounter : Kind.FlatCounter;
                    list.Add(new SeriesDef("http_requests_total", App, kind, [("code", code), ("handler", "/api/v1/h" + Str(h)), ("method", method)]));
                }
            }
        }

        string[] grpcCodes = ["OK", "Canceled", "Unavailable", "Internal"];
        for (int s = 0; s < 5; s++)
        {
            for (int m = 0; m < 10; m++)
            {
                foreach (var code in grpcCodes)
                {
                    list.Add(new SeriesDef("grpc_server_handled_total", App, code == "OK" ? Kind.IntCounter : Kind.FlatCounter,
                        [("grpc_code", code), ("grpc_method", "Method" + Str(m)), ("grpc_service", "pkg.Service" + Str(s))]));
                }
            }
        }

        for (int topic = 0; topic < 10; topic++)
        {
            for (int p = 0; p < 12; p++)
            {
                list.Add(new SeriesDef("kafka_consumergroup_lag", App, Kind.WalkGauge, [("partition", Str(p)), ("topic", "topic-" + Str(topic))]));
            }
        }

        for (int j = 0; j < 20; j++)
        {
            foreach (var status in (string[])["ok", "failed", "retried"])
            {
                list.Add(new SeriesDef("app_jobs_processed_total", App, status == "ok" ? Kind.IntCounter : Kind.FlatCounter, [("job_type", "type" + Str(j)), ("status", status)]));
            }
        }

        for (int i = 0; i < 30; i++)
        {
            list.Add(new SeriesDef("go_memstats_m" + Str(i), App, i % 3 == 0 ? Kind.IntCounter : Kind.WalkGauge, []));
        }

        foreach (var name in (string[])["go_goroutines", "go_threads", "process_open_fds", "process_resident_memory_bytes", "process_virtual_memory_bytes"])
        {
            list.Add(new SeriesDef(name, App, Kind.WalkGauge, []));
        }

        list.Add(new SeriesDef("process_cpu_seconds_total", App, Kind.CpuCounter, []));
        list.Add(new SeriesDef("process_start_time_seconds", App, Kind.ConstGauge, []));
        for (int i = 0; i < 10; i++)
        {
            list.Add(new SeriesDef("app_feature_info", App, Kind.ConstGauge, [("feature", "f" + Str(i)), ("version", "1." + Str(i) + ".0")]));
        }

        // Native histograms: one per handler and method, as many as the requested share of the target's series, spread
        // evenly through the template so a run that uses only part of it still has its share.
        int histogramSeries = (int)Math.Round(list.Count * histogramShare / (1 - histogramShare));
        int every = histogramSeries == 0 ? 0 : (list.Count + histogramSeries) / histogramSeries;
        for (int i = 0; i < histogramSeries; i++)
        {
            list.Insert(Math.Min(list.Count, (i * every) + (every / 2)), new SeriesDef("http_request_duration_seconds", App, Kind.Histogram, [("handler", "/api/v1/h" + Str(i / 2)), ("method", i % 2 == 0 ? "GET" : "POST")]));
        }

        return list;
    }

    private static string Str(int i) => i.ToString(CultureInfo.InvariantCulture);

    private enum Kind
    {
        FlatCounter,
        IntCounter,
        ByteCounter,
        CpuCounter,
        ConstGauge,
        WalkGauge,
        FloatGauge,
        Histogram,
    }

    private sealed record SeriesDef(string Name, string Job, Kind Kind, (string Name, string Value)[] Labels)
    {
        public string Port => Job == "node" ? "9100" : "8080";
    }

    private sealed class SeriesState
    {
        private readonly double _rate;
        private readonly long[] _buckets = new long[12];
        private double _value;
        private double _sum;
        private long _zero;

        public SeriesState(List<Label> labels, SeriesDef def, int target, Random random)
        {
            Labels = labels;
            Kind = def.Kind;
            Target = target;
            _rate = Kind switch
            {
                Kind.IntCounter => random.NextDouble() * 2,
                Kind.ByteCounter => random.Next(1, 200),
                Kind.CpuCounter => random.NextDouble() * 0.3,
                Kind.Histogram => random.NextDouble() * 2,
                _ => random.NextDouble(),
            };
            _value = Kind switch
            {
                Kind.ConstGauge => random.Next(0, 4) == 0 ? 1 : random.Next(1, 1 << 20) * 4096.0,
                Kind.WalkGauge => random.Next(0, 10_000),
                Kind.FloatGauge => Math.Round(random.NextDouble() * 4, 2),
                Kind.FlatCounter => random.Next(0, 3) == 0 ? 0 : random.Next(0, 50),
                Kind.ByteCounter => random.Next(0, 1 << 24) * 512.0,
                Kind.CpuCounter => Math.Round(random.NextDouble() * 100_000, 2),
                _ => random.Next(0, 100_000),
            };
        }

        public List<Label> Labels { get; }

        public Kind Kind { get; }

        public int Target { get; }

        public double NextValue(Random random)
        {
            switch (Kind)
            {
                case Kind.FlatCounter:
                    // An error counter moves by one now and then.
                    if (random.NextDouble() < 0.005)
                    {
                        _value++;
                    }

                    break;
                case Kind.IntCounter:
                    _value += Math.Round(_rate * 15 * random.NextDouble() * 2);
                    break;
                case Kind.ByteCounter:
                    // Whole packets' worth of bytes: a small integer step times a page-sized unit.
                    _value += Math.Round(_rate * random.NextDouble()) * 1500;
                    break;
                case Kind.CpuCounter:
                    // /proc reports CPU time in 1/100 s ticks.
                    _value = Math.Round(_value + Math.Round(_rate * 15 * 100 * random.NextDouble()) / 100, 2);
                    break;
                case Kind.WalkGauge:
                    if (random.NextDouble() < 0.1)
                    {
                        _value = Math.Max(0, _value + random.Next(-8, 9));
                    }

                    break;
                case Kind.FloatGauge:
                    if (random.NextDouble() < 0.5)
                    {
                        _value = Math.Max(0, Math.Round(_value + ((random.NextDouble() - 0.5) * 0.1), 2));
                    }

                    break;
                default:
                    break;
            }

            return _value;
        }

        public Histogram NextHistogram(long t, Random random)
        {
            // Schema 3, two spans of six buckets; observations cluster in the middle buckets.
            long observations = (long)(_rate * 15 * random.NextDouble());
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
