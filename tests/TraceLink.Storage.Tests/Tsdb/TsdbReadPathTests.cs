using TraceLink.Storage.Tsdb;
using TraceLink.Storage.Tsdb.Blocks;
using TraceLink.Storage.Tsdb.Chunks;
using TraceLink.Storage.Tsdb.Head;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Storage.Tests.Tsdb;

public sealed class TsdbReadPathTests : IDisposable
{
    private const long T0 = 1_700_000_000_000;
    private const long Step = 15_000;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private TsdbStore Open(TimeSpan? ooo = null) => new(new TsdbOptions
    {
        DataDirectory = _dir.Path,
        OutOfOrderTimeWindow = ooo ?? TimeSpan.Zero,
        RetentionTime = TimeSpan.Zero,
        BlockDuration = TimeSpan.FromDays(365),
    });

    private static Label[] L(string name, string instance) => [new("__name__", name), new("instance", instance)];

    private static List<(SampleValueType Type, long T, double F)> Drain(ISeriesIterator it, SampleValueType first)
    {
        var result = new List<(SampleValueType, long, double)>();
        for (var type = first; type != SampleValueType.None; type = it.Next())
        {
            result.Add((type, it.AtTimestamp, type == SampleValueType.Float ? it.AtFloat : it.AtFloatHistogram().Sum));
        }

        return result;
    }

    /// <summary>Three blocks plus head chunks, floats then histograms, with a stale marker; every sample distinct.</summary>
    private static async Task<TsdbStore> FillAsync(TsdbStore store)
    {
        var lbl = L("m", "a");
        int i = 0;
        for (int block = 0; block < 3; block++)
        {
            var app = store.Appender();
            for (int n = 0; n < 400; n++, i++)
            {
                app.AppendFloat(lbl, T0 + (i * Step), i == 250 ? BitConverter.UInt64BitsToDouble(0x7ff0000000000002) : i * 1.5);
            }

            await app.CommitAsync(CancellationToken.None);
            store.CompactHead();
        }

        var head = store.Appender();
        for (int n = 0; n < 300; n++, i++)
        {
            if (n < 150)
            {
                head.AppendFloat(lbl, T0 + (i * Step), i * 1.5);
            }
            else
            {
                head.AppendHistogram(lbl, T0 + (i * Step), new Histogram
                {
                    Schema = 0,
                    Count = (ulong)i,
                    Sum = i,
                    PositiveSpans = [new BucketSpan(0, 1)],
                    PositiveBuckets = [i],
                });
            }
        }

        await head.CommitAsync(CancellationToken.None);
        return store;
    }

    [Fact]
    public async Task Streamed_chunks_of_blocks_and_head_yield_exactly_the_materialised_samples_for_any_range_and_seek()
    {
        using var store = await FillAsync(Open());
        long last = T0 + (1499 * Step);
        long[] bounds = [long.MinValue, T0 - 1, T0, T0 + (119 * Step), T0 + (120 * Step) + 7, T0 + (401 * Step), T0 + (1210 * Step), last, last + 1, long.MaxValue];
        int compared = 0;
        foreach (long mint in bounds)
        {
            foreach (long maxt in bounds)
            {
                if (maxt < mint)
                {
                    continue;
                }

                var series = (TsdbSeries)store.Select(mint, maxt, [new LabelMatcher(MatchType.Equal, "__name__", "m")]).SingleOrDefault()!;
                if (series is null)
                {
                    Assert.True(maxt < T0 || mint > last);
                    continue;
                }

                var it = series.Iterator();
                Assert.IsType<ChunkSeriesIterator>(it);
                var listIt = new SampleListIterator(series.Materialize());
                Assert.Equal(Drain(listIt, listIt.Next()), Drain(it, it.Next()));

                foreach (long target in bounds)
                {
                    var a = series.Iterator();
                    var b = new SampleListIterator(series.Materialize());
                    var ta = a.Seek(target);
                    var tb = b.Seek(target);
                    Assert.Equal(tb, ta);
                    Assert.Equal(Drain(b, tb), Drain(a, ta));
                    compared++;
                }
            }
        }

        Assert.True(compared > 100);
    }

    [Fact]
    public async Task Seek_never_moves_backwards_and_skips_whole_chunks_forwards()
    {
        using var store = await FillAsync(Open());
        var it = store.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", "m")]).Single().Iterator();
        Assert.Equal(SampleValueType.Float, it.Seek(T0 + (700 * Step) - 1));
        Assert.Equal(T0 + (700 * Step), it.AtTimestamp);
        Assert.Equal(700 * 1.5, it.AtFloat);
        Assert.Equal(SampleValueType.Float, it.Seek(T0));
        Assert.Equal(T0 + (700 * Step), it.AtTimestamp);
        Assert.Equal(SampleValueType.Histogram, it.Seek(T0 + (1400 * Step)));
        Assert.Equal(1400.0, it.AtHistogram().Sum);
        Assert.Equal(SampleValueType.None, it.Seek(T0 + (1500 * Step)));
        Assert.Equal(SampleValueType.None, it.Next());
    }

    [Fact]
    public async Task Out_of_order_data_in_overlapping_blocks_is_merged_as_before()
    {
        using var store = Open(TimeSpan.FromHours(1));
        var lbl = L("m", "a");
        var app = store.Appender();
        for (int i = 0; i < 200; i += 2)
        {
            app.AppendFloat(lbl, T0 + (i * Step), i);
        }

        await app.CommitAsync(CancellationToken.None);
        store.CompactHead();
        app = store.Appender();
        for (int i = 1; i < 200; i += 2)
        {
            app.AppendFloat(lbl, T0 + (i * Step), i);
        }

        await app.CommitAsync(CancellationToken.None);
        store.CompactHead();
        var series = store.Select(T0 + (10 * Step), T0 + (150 * Step), [new LabelMatcher(MatchType.Equal, "__name__", "m")]).Single();
        var it = series.Iterator();
        Assert.IsType<SampleListIterator>(it);
        var got = Drain(it, it.Next());
        Assert.Equal(141, got.Count);
        for (int n = 0; n < got.Count; n++)
        {
            Assert.Equal(T0 + ((10 + n) * Step), got[n].T);
            Assert.Equal(10 + n, got[n].F);
        }
    }

    [Fact]
    public async Task Select_returns_many_series_in_label_order_also_after_new_series_arrive()
    {
        using var store = Open();
        var rnd = new Random(7);
        for (int round = 0; round < 2; round++)
        {
            var app = store.Appender();
            for (int i = 0; i < 150; i++)
            {
                app.AppendFloat(L("m", "i" + rnd.Next(0, 100_000)), T0 + (round * Step), i);
            }

            await app.CommitAsync(CancellationToken.None);
            var labels = store.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "__name__", "m")]).Select(s => s.Labels).ToList();
            Assert.True(labels.Count > 64 * (round + 1));
            for (int i = 1; i < labels.Count; i++)
            {
                Assert.True(string.CompareOrdinal(labels[i - 1][1].Value, labels[i][1].Value) < 0, $"{labels[i - 1][1].Value} before {labels[i][1].Value}");
            }
        }
    }

    [Fact]
    public async Task A_chunk_read_from_a_disposed_block_throws_instead_of_touching_unmapped_memory()
    {
        using (var store = await FillAsync(Open()))
        {
        }

        var dir = Directory.GetDirectories(Path.Combine(_dir.Path, "blocks"))[0];
        var block = Block.Open(dir);
        var chunk = block.Series[0].Chunks[0];
        var before = block.ReadChunk(chunk.Offset, chunk.Length);
        Assert.Equal(chunk.Count, (before[0] << 8) | before[1]);
        block.Dispose();
        Assert.Throws<ObjectDisposedException>(() => block.ReadChunk(chunk.Offset, chunk.Length));
        using var reopened = Block.Open(dir);
        Assert.Throws<InvalidDataException>(() => reopened.ReadChunk(new FileInfo(Path.Combine(dir, "chunks")).Length - 2, 3));
    }

    [Fact]
    public void Bit_reader_word_loads_match_a_bit_by_bit_reference_and_stop_at_the_end()
    {
        var rnd = new Random(11);
        var data = new byte[64];
        rnd.NextBytes(data);
        for (int run = 0; run < 200; run++)
        {
            int offset = rnd.Next(0, 8);
            int length = rnd.Next(8, data.Length - offset);
            var r = new BitReader(data, offset, length);
            int pos = offset * 8;
            int end = (offset + length) * 8;
            while (true)
            {
                int op = rnd.Next(0, 3);
                int count = op == 0 ? rnd.Next(0, 65) : rnd.Next(1, 9);
                int need = op == 1 ? Ones(data, pos, end, count).Used : count;
                if (pos + need > end || (op == 1 && Ones(data, pos, end, count).PastEnd))
                {
                    var copy = r;
                    Assert.Throws<InvalidDataException>(() => op == 1 ? copy.ReadOnes(count) : (long)copy.ReadBits(count));
                    break;
                }

                if (op == 1)
                {
                    var (ones, used, _) = Ones(data, pos, end, count);
                    Assert.Equal(ones, r.ReadOnes(count));
                    pos += used;
                }
                else
                {
                    ulong expected = 0;
                    for (int b = 0; b < count; b++)
                    {
                        expected = (expected << 1) | (uint)Bit(data, pos + b);
                    }

                    Assert.Equal(expected, r.ReadBits(count));
                    pos += count;
                }
            }
        }
    }

    private static int Bit(byte[] data, int pos) => (data[pos >> 3] >> (7 - (pos & 7))) & 1;

    private static (int Ones, int Used, bool PastEnd) Ones(byte[] data, int pos, int end, int max)
    {
        int n = 0;
        while (n < max)
        {
            if (pos + n >= end)
            {
                return (n, n + 1, true);
            }

            if (Bit(data, pos + n) == 0)
            {
                return (n, n + 1, false);
            }

            n++;
        }

        return (n, n, false);
    }
}
