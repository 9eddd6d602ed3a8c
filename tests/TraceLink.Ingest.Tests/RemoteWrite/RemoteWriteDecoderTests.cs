using Google.Protobuf;

using TraceLink.Ingest.RemoteWrite;
using TraceLink.Storage.Tsdb;

using MatchType = TraceLink.Storage.Tsdb.MatchType;
using V1 = Prometheus;
using V2 = Io.Prometheus.Write.V2;

namespace TraceLink.Ingest.Tests.RemoteWrite;

public sealed class RemoteWriteDecoderTests : IDisposable
{
    private const long T0 = 1_700_000_000_000;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rw-decoder-" + Guid.NewGuid().ToString("N"));
    private readonly TsdbStore _store;

    public RemoteWriteDecoderTests() => _store = new TsdbStore(new TsdbOptions { DataDirectory = _dir, RetentionTime = TimeSpan.Zero });

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task V1_wire_decode_stores_floats_histograms_and_exemplars_of_every_series()
    {
        var req = new V1.WriteRequest();
        req.Timeseries.Add(SeriesV1(["__name__", "up", "job", "a"], (T0, 1), (T0 + 15_000, 0)));
        var h = SeriesV1(["__name__", "lat", "job", "a"]);
        h.Histograms.Add(new V1.Histogram { Timestamp = T0, Schema = 1, CountInt = 3, ZeroCountInt = 1, Sum = 2.5, ZeroThreshold = 1e-128, PositiveSpans = { new V1.BucketSpan { Offset = 0, Length = 2 } }, PositiveDeltas = { 1, 0 } });
        h.Exemplars.Add(new V1.Exemplar { Timestamp = T0, Value = 0.7, Labels = { new V1.Label { Name = "trace_id", Value = "abc" } } });
        req.Timeseries.Add(h);
        req.Metadata.Add(new V1.MetricMetadata { MetricFamilyName = "up", Help = "ignored" });

        var counts = await DecodeAndCommitAsync(req.ToByteArray(), v2: false);

        Assert.Equal((2, 1, 1), (counts.Samples, counts.Histograms, counts.Exemplars));
        Assert.Equal([(T0, 1.0), (T0 + 15_000, 0.0)], Floats("up"));
        var lat = Assert.Single(_store.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", "lat")]));
        var it = lat.Iterator();
        Assert.Equal(SampleValueType.Histogram, it.Next());
        Assert.Equal(3UL, it.AtHistogram().Count);
        var ex = Assert.Single(_store.Exemplars(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", "lat")]));
        Assert.Equal("abc", Assert.Single(ex.Exemplars).Labels[0].Value);
    }

    [Fact]
    public async Task V2_wire_decode_resolves_symbols_for_series_and_exemplars()
    {
        var req = new V2.Request { Symbols = { "", "__name__", "up", "job", "b", "trace_id", "x1" } };
        var ts = new V2.TimeSeries { LabelsRefs = { 1, 2, 3, 4 }, Samples = { new V2.Sample { Timestamp = T0, Value = 5 } } };
        ts.Exemplars.Add(new V2.Exemplar { LabelsRefs = { 5, 6 }, Value = 5, Timestamp = T0 });
        req.Timeseries.Add(ts);

        var counts = await DecodeAndCommitAsync(req.ToByteArray(), v2: true);

        Assert.Equal((1, 0, 1), (counts.Samples, counts.Histograms, counts.Exemplars));
        var s = Assert.Single(_store.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "job", "b")]));
        Assert.Equal([new Label("__name__", "up"), new Label("job", "b")], s.Labels);
        Assert.Equal([(T0, 5.0)], Floats("up"));
    }

    [Fact]
    public async Task Histograms_read_from_the_wire_keep_every_field_of_both_kinds()
    {
        var v1 = new V1.WriteRequest();
        var ints = SeriesV1(["__name__", "ints", "job", "a"]);
        ints.Histograms.Add(new V1.Histogram
        {
            Timestamp = T0,
            Schema = 2,
            CountInt = 14,
            ZeroCountInt = 2,
            Sum = -3.5,
            ZeroThreshold = 0.001,
            ResetHint = V1.Histogram.Types.ResetHint.Gauge,
            PositiveSpans = { new V1.BucketSpan { Offset = -2, Length = 2 }, new V1.BucketSpan { Offset = 3, Length = 1 } },
            PositiveDeltas = { 3, -1, 2 },
            NegativeSpans = { new V1.BucketSpan { Offset = 1, Length = 1 } },
            NegativeDeltas = { 3 },
        });
        v1.Timeseries.Add(ints);
        await DecodeAndCommitAsync(v1.ToByteArray(), v2: false);

        var v2 = new V2.Request { Symbols = { "", "__name__", "floats" } };
        var ts = new V2.TimeSeries { LabelsRefs = { 1, 2 } };
        ts.Histograms.Add(new V2.Histogram
        {
            Timestamp = T0,
            Schema = -1,
            CountFloat = 7.5,
            ZeroCountFloat = 0.5,
            Sum = 10,
            ZeroThreshold = 1e-128,
            PositiveSpans = { new V2.BucketSpan { Offset = 0, Length = 2 } },
            PositiveCounts = { 4, 2.5 },
            NegativeSpans = { new V2.BucketSpan { Offset = -1, Length = 1 } },
            NegativeCounts = { 0.5 },
        });
        v2.Timeseries.Add(ts);
        var counts = await DecodeAndCommitAsync(v2.ToByteArray(), v2: true);
        Assert.Equal(1, counts.Histograms);

        var it = Assert.Single(_store.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", "ints")])).Iterator();
        Assert.Equal(SampleValueType.Histogram, it.Next());
        var h = it.AtHistogram();
        Assert.Equal((T0, 2, 14UL, 2UL, -3.5, 0.001, CounterResetHint.Gauge), (it.AtTimestamp, h.Schema, h.Count, h.ZeroCount, h.Sum, h.ZeroThreshold, h.CounterResetHint));
        Assert.Equal([new BucketSpan(-2, 2), new BucketSpan(3, 1)], h.PositiveSpans);
        Assert.Equal([3L, -1, 2], h.PositiveBuckets);
        Assert.Equal([new BucketSpan(1, 1)], h.NegativeSpans);
        Assert.Equal([3L], h.NegativeBuckets);

        it = Assert.Single(_store.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", "floats")])).Iterator();
        Assert.Equal(SampleValueType.FloatHistogram, it.Next());
        var f = it.AtFloatHistogram();
        Assert.Equal((-1, 7.5, 0.5, 10.0), (f.Schema, f.Count, f.ZeroCount, f.Sum));
        Assert.Equal([new BucketSpan(0, 2)], f.PositiveSpans);
        Assert.Equal([4, 2.5], f.PositiveBuckets);
        Assert.Equal([new BucketSpan(-1, 1)], f.NegativeSpans);
        Assert.Equal([0.5], f.NegativeBuckets);
    }

    [Fact]
    public void Metadata_ranges_come_from_the_same_pass_with_v2_family_names_unsuffixed()
    {
        var decoder = new RemoteWriteDecoder();
        var app = (ISeriesKeyAppender)_store.Appender();
        var v1 = new V1.WriteRequest { Timeseries = { SeriesV1(["__name__", "up", "job", "a"], (T0, 1)) } };
        v1.Metadata.Add(new V1.MetricMetadata { MetricFamilyName = "up", Type = V1.MetricMetadata.Types.MetricType.Gauge, Help = "is up", Unit = "" });
        byte[] body = v1.ToByteArray();
        decoder.DecodeV1(body, app);
        var e = Assert.Single(decoder.Metadata);
        Assert.Equal((2, "up", "is up"), (e.Type, Text(body, e.NameOffset, e.NameLength), Text(body, e.HelpOffset, e.HelpLength)));

        var v2 = new V2.Request { Symbols = { "", "__name__", "rpc_seconds_bucket", "le", "1", "Latency.", "seconds" } };
        v2.Timeseries.Add(new V2.TimeSeries
        {
            LabelsRefs = { 1, 2, 3, 4 },
            Samples = { new V2.Sample { Timestamp = T0, Value = 3 } },
            Metadata = new V2.Metadata { Type = V2.Metadata.Types.MetricType.Histogram, HelpRef = 5, UnitRef = 6 },
        });
        body = v2.ToByteArray();
        decoder.DecodeV2(body, app);
        e = Assert.Single(decoder.Metadata);
        Assert.Equal((3, "rpc_seconds", "Latency.", "seconds"), (e.Type, Text(body, e.NameOffset, e.NameLength), Text(body, e.HelpOffset, e.HelpLength), Text(body, e.UnitOffset, e.UnitLength)));
    }

    [Fact]
    public async Task A_known_series_sent_again_by_key_gets_the_new_samples_and_no_new_series()
    {
        await DecodeAndCommitAsync(new V1.WriteRequest { Timeseries = { SeriesV1(["__name__", "up", "job", "a"], (T0, 1)) } }.ToByteArray(), v2: false);
        var v2 = new V2.Request { Symbols = { "", "__name__", "up", "job", "a" } };
        v2.Timeseries.Add(new V2.TimeSeries { LabelsRefs = { 1, 2, 3, 4 }, Samples = { new V2.Sample { Timestamp = T0 + 1000, Value = 2 } } });
        await DecodeAndCommitAsync(v2.ToByteArray(), v2: true);

        Assert.Equal(1, _store.SeriesCount);
        Assert.Equal([(T0, 1.0), (T0 + 1000, 2.0)], Floats("up"));
    }

    [Fact]
    public async Task Empty_label_values_are_dropped_so_the_series_matches_the_one_without_them()
    {
        await DecodeAndCommitAsync(new V1.WriteRequest { Timeseries = { SeriesV1(["__name__", "up", "job", "a"], (T0, 1)) } }.ToByteArray(), v2: false);
        await DecodeAndCommitAsync(new V1.WriteRequest { Timeseries = { SeriesV1(["__name__", "up", "env", "", "job", "a"], (T0 + 1000, 2)) } }.ToByteArray(), v2: false);

        Assert.Equal(1, _store.SeriesCount);
        Assert.Equal([(T0, 1.0), (T0 + 1000, 2.0)], Floats("up"));
    }

    [Fact]
    public void Unsorted_labels_are_rejected_with_the_validation_message()
    {
        var body = new V1.WriteRequest { Timeseries = { SeriesV1(["__name__", "up", "z", "1", "a", "2"], (T0, 1)) } }.ToByteArray();
        var e = Assert.Throws<RemoteWriteRejection>(() => new RemoteWriteDecoder().DecodeV1(body, (ISeriesKeyAppender)_store.Appender()));
        Assert.Equal(400, e.StatusCode);
        Assert.Contains("labels not sorted", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_protobuf_is_rejected_as_invalid_protobuf()
    {
        var body = new V1.WriteRequest { Timeseries = { SeriesV1(["__name__", "up"], (T0, 1)) } }.ToByteArray();
        var e = Assert.Throws<InvalidDataException>(() => new RemoteWriteDecoder().DecodeV1(body.AsSpan(0, body.Length - 3), (ISeriesKeyAppender)_store.Appender()));
        Assert.Contains("invalid protobuf", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void V2_reference_outside_the_symbols_table_is_rejected()
    {
        var req = new V2.Request { Symbols = { "", "__name__", "up" } };
        req.Timeseries.Add(new V2.TimeSeries { LabelsRefs = { 1, 9 }, Samples = { new V2.Sample { Timestamp = T0, Value = 1 } } });
        var e = Assert.Throws<RemoteWriteRejection>(() => new RemoteWriteDecoder().DecodeV2(req.ToByteArray(), (ISeriesKeyAppender)_store.Appender()));
        Assert.Contains("outside the symbols table", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Histograms_of_earlier_batches_keep_their_values_when_the_appender_refills_its_histograms()
    {
        // One decoder and appender for every batch, as the handler pools them: the histograms the appender hands out
        // are refilled by later batches (the same arrays where the sizes repeat). Bucket layouts per batch: {0,1};
        // {1,2} (bucket 0 vanished: a counter reset, a new chunk); {1,2,3} (the chunk is recoded wider); {1,2,3} again.
        (int Offset, double[] Counts)[] batches = [(0, [1, 2]), (1, [5, 6]), (1, [6, 7, 8]), (1, [7, 8, 9])];
        var decoder = new RemoteWriteDecoder();
        var appender = (ISeriesKeyAppender)_store.Appender();
        for (int b = 0; b < batches.Length; b++)
        {
            var (offset, counts) = batches[b];
            var ints = SeriesV1(["__name__", "ints"]);
            var deltas = counts.Select((c, i) => (long)(c - (i == 0 ? 0 : counts[i - 1])));
            ints.Histograms.Add(new V1.Histogram
            {
                Timestamp = T0 + (b * 15_000),
                CountInt = (ulong)counts.Sum(),
                Sum = b + 0.5,
                PositiveSpans = { new V1.BucketSpan { Offset = offset, Length = (uint)counts.Length } },
                PositiveDeltas = { deltas },
            });
            var floats = SeriesV1(["__name__", "floats"]);
            floats.Histograms.Add(new V1.Histogram
            {
                Timestamp = T0 + (b * 15_000),
                CountFloat = counts.Sum(),
                Sum = b + 0.25,
                PositiveSpans = { new V1.BucketSpan { Offset = offset, Length = (uint)counts.Length } },
                PositiveCounts = { counts },
            });
            var request = new V1.WriteRequest { Timeseries = { ints, floats } };
            decoder.DecodeV1(request.ToByteArray(), appender);
            await appender.CommitAsync(CancellationToken.None);
        }

        foreach (string name in new[] { "ints", "floats" })
        {
            var it = Assert.Single(_store.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", name)])).Iterator();
            for (int b = 0; b < batches.Length; b++)
            {
                var kind = it.Next();
                var h = kind == SampleValueType.Histogram ? it.AtHistogram().ToFloat() : it.AtFloatHistogram();
                var (offset, counts) = batches[b];
                Assert.Equal((T0 + (b * 15_000), counts.Sum(), b + (name == "ints" ? 0.5 : 0.25)), (it.AtTimestamp, h.Count, h.Sum));
                Assert.Equal(b < 2 ? CounterResetHint.Unknown : CounterResetHint.NotCounterReset, h.CounterResetHint); // a chunk starts at the reset
                for (int i = 0; i < 4; i++)
                {
                    double want = i >= offset && i < offset + counts.Length ? counts[i - offset] : 0;
                    Assert.Equal(want, BucketAt(h, i));
                }
            }

            Assert.Equal(SampleValueType.None, it.Next());
        }
    }

    private async Task<WrittenCounts> DecodeAndCommitAsync(byte[] body, bool v2)
    {
        var decoder = new RemoteWriteDecoder();
        var app = (ISeriesKeyAppender)_store.Appender();
        var counts = v2 ? decoder.DecodeV2(body, app) : decoder.DecodeV1(body, app);
        await app.CommitAsync(CancellationToken.None);
        return counts;
    }

    private List<(long T, double V)> Floats(string name)
    {
        var result = new List<(long, double)>();
        foreach (var s in _store.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", name)]))
        {
            var it = s.Iterator();
            while (it.Next() == SampleValueType.Float)
            {
                result.Add((it.AtTimestamp, it.AtFloat));
            }
        }

        return result;
    }

    private static V1.TimeSeries SeriesV1(string[] kv, params (long T, double V)[] samples)
    {
        var ts = new V1.TimeSeries();
        for (int i = 0; i < kv.Length; i += 2)
        {
            ts.Labels.Add(new V1.Label { Name = kv[i], Value = kv[i + 1] });
        }

        foreach (var (t, v) in samples)
        {
            ts.Samples.Add(new V1.Sample { Timestamp = t, Value = v });
        }

        return ts;
    }

    /// <summary>The absolute count of positive bucket <paramref name="index"/> (0 when the layout lacks it).</summary>
    private static double BucketAt(FloatHistogram h, int index)
    {
        int at = 0, k = 0;
        foreach (var span in h.PositiveSpans)
        {
            at += span.Offset;
            for (int j = 0; j < span.Length; j++, at++, k++)
            {
                if (at == index)
                {
                    return h.PositiveBuckets[k];
                }
            }
        }

        return 0;
    }

    private static string Text(byte[] body, int offset, int length) => System.Text.Encoding.UTF8.GetString(body, offset, length);
}
