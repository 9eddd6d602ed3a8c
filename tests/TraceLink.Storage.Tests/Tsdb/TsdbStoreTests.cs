using TraceLink.Storage.Tsdb;
using TraceLink.Storage.Tsdb.Blocks;
using TraceLink.Storage.Tsdb.Chunks;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Storage.Tests.Tsdb;

public sealed class TsdbStoreTests : IDisposable
{
    private const long T0 = 1_700_000_000_000;
    private static readonly double StaleNaN = BitConverter.UInt64BitsToDouble(0x7ff0000000000002);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private TsdbStore Open(TimeSpan? ooo = null, TimeSpan? retention = null, long retentionBytes = 0) => new(new TsdbOptions
    {
        DataDirectory = _dir.Path,
        OutOfOrderTimeWindow = ooo ?? TimeSpan.Zero,
        RetentionTime = retention ?? TimeSpan.FromDays(15),
        RetentionSizeBytes = retentionBytes,
    });

    private static Label[] L(string name, params string[] kv)
    {
        var labels = new List<Label> { new("__name__", name) };
        for (int i = 0; i < kv.Length; i += 2)
        {
            labels.Add(new Label(kv[i], kv[i + 1]));
        }

        labels.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return [.. labels];
    }

    private static List<(long T, double V)> Floats(TsdbStore store, params LabelMatcher[] matchers)
    {
        var result = new List<(long, double)>();
        foreach (var s in store.Select(long.MinValue, long.MaxValue, matchers))
        {
            var it = s.Iterator();
            while (it.Next() == SampleValueType.Float)
            {
                result.Add((it.AtTimestamp, it.AtFloat));
            }
        }

        return result;
    }

    private static async Task WriteAsync(TsdbStore store, Label[] labels, params (long T, double V)[] samples)
    {
        var app = store.Appender();
        foreach (var (t, v) in samples)
        {
            app.AppendFloat(labels, t, v);
        }

        await app.CommitAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Acknowledged_samples_survive_reopen_through_wal_replay()
    {
        var up = L("up", "job", "node");
        using (var store = Open())
        {
            await WriteAsync(store, up, (T0, 1), (T0 + 15000, StaleNaN), (T0 + 30000, double.NaN));
        }

        using var reopened = Open();
        var samples = Floats(reopened, new LabelMatcher(MatchType.Equal, "__name__", "up"));
        Assert.Equal([T0, T0 + 15000, T0 + 30000], samples.Select(s => s.T));
        Assert.Equal(0x7ff0000000000002UL, BitConverter.DoubleToUInt64Bits(samples[1].V));
        Assert.True(double.IsNaN(samples[2].V));
    }

    [Fact]
    public async Task Torn_wal_tail_is_dropped_and_earlier_records_survive()
    {
        var up = L("up");
        using (var store = Open())
        {
            await WriteAsync(store, up, (T0, 1));
            await WriteAsync(store, up, (T0 + 1000, 2));
        }

        string segment = Directory.GetFiles(Path.Combine(_dir.Path, "wal")).Single();
        long length = new FileInfo(segment).Length;
        using (var fs = new FileStream(segment, FileMode.Open))
        {
            fs.SetLength(length - 3);
        }

        using (var reopened = Open())
        {
            Assert.Equal([(T0, 1.0)], Floats(reopened, new LabelMatcher(MatchType.Equal, "__name__", "up")));
            await WriteAsync(reopened, up, (T0 + 2000, 3));
        }

        using var again = Open();
        Assert.Equal([(T0, 1.0), (T0 + 2000, 3.0)], Floats(again, new LabelMatcher(MatchType.Equal, "__name__", "up")));
    }

    [Fact]
    public async Task Duplicate_timestamp_with_same_value_is_accepted_and_different_value_rejects_the_whole_batch()
    {
        using var store = Open();
        var a = L("a");
        var b = L("b");
        await WriteAsync(store, a, (T0, 1));
        await WriteAsync(store, a, (T0, 1));

        var app = store.Appender();
        app.AppendFloat(b, T0, 5);
        app.AppendFloat(a, T0, 2);
        var e = await Assert.ThrowsAsync<TsdbAppendException>(() => app.CommitAsync(CancellationToken.None).AsTask());
        Assert.Contains("duplicate sample for timestamp", e.Message, StringComparison.Ordinal);
        Assert.Contains("__name__=\"a\"", e.Message, StringComparison.Ordinal);
        Assert.Empty(Floats(store, new LabelMatcher(MatchType.Equal, "__name__", "b")));
        Assert.Equal([(T0, 1.0)], Floats(store, new LabelMatcher(MatchType.Equal, "__name__", "a")));
    }

    [Fact]
    public async Task Out_of_order_samples_are_rejected_without_a_window_and_merged_within_one()
    {
        using (var strict = Open())
        {
            await WriteAsync(strict, L("x"), (T0 + 10_000, 1));
            var e = await Assert.ThrowsAsync<TsdbAppendException>(() => WriteAsync(strict, L("x"), (T0, 0)));
            Assert.Contains("out of order sample", e.Message, StringComparison.Ordinal);
        }

        _dir.Dispose();
        using var lenient = Open(ooo: TimeSpan.FromMinutes(1));
        await WriteAsync(lenient, L("x"), (T0 + 10_000, 1), (T0 + 20_000, 2));
        await WriteAsync(lenient, L("x"), (T0 + 5_000, 0.5));
        var tooOld = await Assert.ThrowsAsync<TsdbAppendException>(() => WriteAsync(lenient, L("x"), (T0 - 60_000, 0)));
        Assert.Contains("too old sample", tooOld.Message, StringComparison.Ordinal);
        Assert.Equal([(T0 + 5_000, 0.5), (T0 + 10_000, 1.0), (T0 + 20_000, 2.0)], Floats(lenient, new LabelMatcher(MatchType.Equal, "__name__", "x")));
        lenient.CompactHead();
        Assert.Equal([(T0 + 5_000, 0.5), (T0 + 10_000, 1.0), (T0 + 20_000, 2.0)], Floats(lenient, new LabelMatcher(MatchType.Equal, "__name__", "x")));
    }

    [Fact]
    public async Task Matchers_follow_prometheus_semantics_including_anchoring_and_absent_labels()
    {
        using var store = Open();
        await WriteAsync(store, L("m", "env", "prod", "job", "api"), (T0, 1));
        await WriteAsync(store, L("m", "env", "production", "job", "db"), (T0, 2));
        await WriteAsync(store, L("m", "job", "web"), (T0, 3));

        double[] Values(params LabelMatcher[] m) => [.. Floats(store, m).Select(s => s.V)];
        Assert.Equal([1.0], Values(new LabelMatcher(MatchType.Equal, "env", "prod")));
        Assert.Equal([1.0], Values(new LabelMatcher(MatchType.Regex, "env", "prod")));
        Assert.Equal([1.0, 2.0], Values(new LabelMatcher(MatchType.Regex, "env", "prod.*")));
        Assert.Equal([3.0], Values(new LabelMatcher(MatchType.Equal, "env", "")));
        Assert.Equal([2.0, 3.0], Values(new LabelMatcher(MatchType.NotEqual, "env", "prod")));
        Assert.Equal([3.0], Values(new LabelMatcher(MatchType.NotRegex, "env", ".+")));
        Assert.Equal([1.0, 2.0], Values(new LabelMatcher(MatchType.Regex, "env", ".+"), new LabelMatcher(MatchType.Equal, "__name__", "m")));
        Assert.Equal([1.0, 3.0], Values(new LabelMatcher(MatchType.Regex, "job", "api|web")));
        Assert.Equal(["__name__", "env", "job"], store.LabelNames(long.MinValue, long.MaxValue, []));
        Assert.Equal(["prod", "production"], store.LabelValues("env", long.MinValue, long.MaxValue, []));
        Assert.Empty(store.Select(T0 + 1, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", "m")]));
    }

    [Fact]
    public async Task Histograms_and_exemplars_are_stored_and_survive_block_cut_and_reopen()
    {
        var h = new Histogram { Schema = 1, ZeroThreshold = Math.ScaleB(1, -128), Count = 5, ZeroCount = 1, Sum = 7.5, PositiveSpans = [new BucketSpan(0, 2)], PositiveBuckets = [1, 1], NegativeSpans = [new BucketSpan(-1, 1)], NegativeBuckets = [1] };
        var fh = new FloatHistogram { Schema = 0, Count = 2.5, Sum = 1, PositiveSpans = [new BucketSpan(1, 1)], PositiveBuckets = [2.5] };
        var hl = L("lat_seconds", "svc", "a");
        var fl = L("lat_float", "svc", "a");
        using (var store = Open())
        {
            var app = store.Appender();
            app.AppendHistogram(hl, T0, h);
            app.AppendFloatHistogram(fl, T0, fh);
            app.AppendExemplar(hl, new Exemplar([new Label("trace_id", "abc")], 0.7, T0));
            await app.CommitAsync(CancellationToken.None);
            store.CompactHead();
            Assert.True(store.BlockBytes > 0);
        }

        using var reopened = Open();
        var series = reopened.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Regex, "__name__", "lat_.*")]).ToList();
        Assert.Equal(2, series.Count);
        var it = series[1].Iterator();
        Assert.Equal(SampleValueType.Histogram, it.Next());
        var got = it.AtHistogram();
        Assert.Equal(h.PositiveBuckets, got.PositiveBuckets);
        Assert.Equal(h.NegativeSpans, got.NegativeSpans);
        Assert.Equal(h.NegativeBuckets, got.NegativeBuckets);
        Assert.Equal(h.Count, got.Count);
        Assert.Equal(h.Sum, got.Sum);
        var fit = series[0].Iterator();
        Assert.Equal(SampleValueType.FloatHistogram, fit.Next());
        Assert.Equal([2.5], fit.AtFloatHistogram().PositiveBuckets);

        var ex = reopened.Exemplars(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", "lat_seconds")]);
        var only = Assert.Single(ex);
        var e = Assert.Single(only.Exemplars);
        Assert.Equal("abc", e.Labels[0].Value);
        Assert.Equal(0.7, e.Value);
    }

    [Fact]
    public async Task Invalid_histogram_is_rejected_and_nothing_of_the_batch_is_stored()
    {
        using var store = Open();
        var app = store.Appender();
        app.AppendFloat(L("ok"), T0, 1);
        app.AppendHistogram(L("bad"), T0, new Histogram { Count = 1, PositiveSpans = [new BucketSpan(0, 2)], PositiveBuckets = [1] });
        var e = await Assert.ThrowsAsync<TsdbAppendException>(() => app.CommitAsync(CancellationToken.None).AsTask());
        Assert.Contains("invalid native histogram", e.Message, StringComparison.Ordinal);
        Assert.Empty(store.Select(long.MinValue, long.MaxValue, []));
    }

    [Fact]
    public async Task Retention_by_time_deletes_old_blocks()
    {
        using var store = Open(retention: TimeSpan.FromHours(1));
        await WriteAsync(store, L("old"), (T0, 1));
        store.CompactHead();
        await WriteAsync(store, L("new"), (T0 + (3 * 3600_000L), 2));
        store.CompactHead();
        Assert.Empty(Floats(store, new LabelMatcher(MatchType.Equal, "__name__", "old")));
        Assert.Single(Floats(store, new LabelMatcher(MatchType.Equal, "__name__", "new")));
        Assert.Single(Directory.GetDirectories(Path.Combine(_dir.Path, "blocks")));
    }

    [Fact]
    public async Task Retention_by_size_deletes_the_oldest_blocks_first()
    {
        using var store = Open(retention: TimeSpan.Zero, retentionBytes: 1);
        await WriteAsync(store, L("first"), (T0, 1));
        store.CompactHead();
        Assert.Equal(0, store.BlockBytes);
        Assert.Empty(Floats(store, new LabelMatcher(MatchType.Equal, "__name__", "first")));
    }

    [Fact]
    public async Task Many_samples_span_several_chunks_and_read_back_in_order()
    {
        using var store = Open();
        var app = store.Appender();
        var lbl = L("c");
        for (int i = 0; i < 1000; i++)
        {
            app.AppendFloat(lbl, T0 + (i * 15_000L), i * 0.5);
        }

        await app.CommitAsync(CancellationToken.None);
        var s = Floats(store, new LabelMatcher(MatchType.Equal, "__name__", "c"));
        Assert.Equal(1000, s.Count);
        Assert.Equal(499.5, s[^1].V);
        var it = store.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", "c")]).Single().Iterator();
        Assert.Equal(SampleValueType.Float, it.Seek(T0 + (500 * 15_000L) - 1));
        Assert.Equal(250.0, it.AtFloat);
    }

    [Fact]
    public async Task Block_joins_head_chunks_into_longer_xor_chunks_and_keeps_every_sample_bit_for_bit()
    {
        var lbl = L("joined");
        var expected = new List<(long T, ulong Bits)>();
        using (var store = Open())
        {
            var app = store.Appender();
            for (int i = 0; i < 1100; i++)
            {
                long t = T0 + (i * 15_000L) + (i % 7 == 0 ? 3 : 0);
                if (i == 600)
                {
                    // A histogram in the middle ends the run of float chunks on both sides of it.
                    app.AppendHistogram(lbl, t, new Histogram { Schema = 0, Count = 1, Sum = 1, PositiveSpans = [new BucketSpan(0, 1)], PositiveBuckets = [1] });
                    continue;
                }

                double v = i == 300 ? StaleNaN : i % 50 == 0 ? double.NaN : Math.Round(i * 1.37, 2);
                app.AppendFloat(lbl, t, v);
                expected.Add((t, BitConverter.DoubleToUInt64Bits(v)));
            }

            await app.CommitAsync(CancellationToken.None);
            store.CompactHead();
        }

        var block = Block.Open(Assert.Single(Directory.GetDirectories(Path.Combine(_dir.Path, "blocks"))));
        try
        {
            var chunks = Assert.Single(block.Series).Chunks;
            // Head chunks of 120 joined up to the default 240; the histogram chunk stays as it was.
            Assert.Equal([240, 240, 120, 1, 240, 240, 19], chunks.Select(c => c.Count));
            Assert.Equal(ChunkEncoding.Histogram, chunks[3].Encoding);
            Assert.All(chunks.Where((_, i) => i != 3), c => Assert.Equal(ChunkEncoding.Xor, c.Encoding));
        }
        finally
        {
            block.Dispose();
        }

        using var reopened = Open();
        var it = reopened.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", "joined")]).Single().Iterator();
        var got = new List<(long, ulong)>();
        SampleValueType type;
        while ((type = it.Next()) != SampleValueType.None)
        {
            if (type == SampleValueType.Float)
            {
                got.Add((it.AtTimestamp, BitConverter.DoubleToUInt64Bits(it.AtFloat)));
            }
        }

        Assert.Equal(expected, got);

        Assert.Throws<ArgumentOutOfRangeException>(() => new TsdbStore(new TsdbOptions { DataDirectory = _dir.Path, BlockChunkSamples = 100 }));

        // A seek into the middle of a joined chunk lands on the right sample.
        it = reopened.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", "joined")]).Single().Iterator();
        Assert.Equal(SampleValueType.Float, it.Seek(T0 + (333 * 15_000L)));
        Assert.Equal(Math.Round(333 * 1.37, 2), it.AtFloat);
    }

    [Fact]
    public async Task Exemplars_added_out_of_time_order_are_read_back_sorted_by_time()
    {
        using var store = Open();
        var lbl = L("lat_seconds");
        var app = store.Appender();
        app.AppendFloat(lbl, T0, 1);
        foreach (var (offset, trace) in new[] { (5_000L, "b"), (1_000L, "a"), (9_000L, "c") })
        {
            app.AppendExemplar(lbl, new Exemplar([new Label("trace_id", trace)], 0.5, T0 + offset));
        }

        await app.CommitAsync(CancellationToken.None);
        var only = Assert.Single(store.Exemplars(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", "lat_seconds")]));
        Assert.Equal(["a", "b", "c"], only.Exemplars.Select(e => e.Labels[0].Value));
    }
}
