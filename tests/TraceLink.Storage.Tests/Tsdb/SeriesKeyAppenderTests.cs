using TraceLink.Storage.Tsdb;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Storage.Tests.Tsdb;

public sealed class SeriesKeyAppenderTests : IDisposable
{
    private const long T0 = 1_700_000_000_000;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Series_key_round_trips_labels_including_non_ascii_values()
    {
        Label[] labels = [new("__name__", "temp_°c"), new("city", "Zürich"), new("emoji", "🙂")];
        var key = SeriesKey.Encode(labels);
        Assert.Equal(labels, SeriesKey.Decode(key));
    }

    [Fact]
    public void Malformed_series_key_is_rejected()
    {
        Assert.Throws<InvalidDataException>(() => SeriesKey.Decode([5, (byte)'a']));
    }

    [Fact]
    public async Task Key_and_label_appends_of_one_series_land_in_one_series_that_survives_reopen()
    {
        Label[] labels = [new("__name__", "up"), new("job", "a")];
        using (var store = Open())
        {
            var app = (ISeriesKeyAppender)store.Appender();
            app.AppendFloat(labels, T0, 1);
            await app.CommitAsync(CancellationToken.None);

            // The same appender is reusable after a commit; a key names the series without strings.
            int byKey = app.SeriesRef(SeriesKey.Encode(labels));
            app.AppendFloat(byKey, T0 + 1000, 2);
            app.AppendFloat(byKey, T0 + 2000, 3);
            int other = app.SeriesRef(SeriesKey.Encode([new("__name__", "up"), new("job", "b")]));
            app.AppendFloat(other, T0, 7);
            await app.CommitAsync(CancellationToken.None);
            Assert.Equal(2, store.SeriesCount);
        }

        using var reopened = Open();
        Assert.Equal(2, reopened.SeriesCount);
        Assert.Equal([(T0, 1.0), (T0 + 1000, 2.0), (T0 + 2000, 3.0)], Floats(reopened, "a"));
        Assert.Equal([(T0, 7.0)], Floats(reopened, "b"));
    }

    [Fact]
    public async Task A_series_reference_from_a_committed_batch_is_refused()
    {
        using var store = Open();
        var app = (ISeriesKeyAppender)store.Appender();
        int a = app.SeriesRef(SeriesKey.Encode([new("__name__", "up")]));
        app.AppendFloat(a, T0, 1);
        await app.CommitAsync(CancellationToken.None);
        Assert.Throws<ArgumentOutOfRangeException>(() => app.AppendFloat(a, T0 + 1, 2));
    }

    [Fact]
    public async Task A_series_named_twice_in_one_batch_by_key_is_created_once()
    {
        using var store = Open();
        var app = (ISeriesKeyAppender)store.Appender();
        var key = SeriesKey.Encode([new("__name__", "up"), new("job", "a")]);
        app.AppendFloat(app.SeriesRef(key), T0, 1);
        app.AppendFloat(app.SeriesRef(key), T0 + 1000, 2);
        await app.CommitAsync(CancellationToken.None);

        Assert.Equal(1, store.SeriesCount);
        Assert.Equal([(T0, 1.0), (T0 + 1000, 2.0)], Floats(store, "a"));
    }

    [Fact]
    public async Task A_head_spanning_one_and_a_half_block_durations_is_cut_in_the_background_and_stays_queryable()
    {
        using var store = new TsdbStore(new TsdbOptions { DataDirectory = _dir.Path, RetentionTime = TimeSpan.Zero, BlockDuration = TimeSpan.FromHours(1) });
        var app = (ISeriesKeyAppender)store.Appender();
        int a = app.SeriesRef(SeriesKey.Encode([new("__name__", "up"), new("job", "a")]));
        for (int i = 0; i <= 8; i++)
        {
            app.AppendFloat(a, T0 + (i * 900_000L), i);
        }

        // The commit returns without writing the block; the cut happens on the thread pool.
        await app.CommitAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (store.BlockBytes == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(store.BlockBytes > 0);
        a = app.SeriesRef(SeriesKey.Encode([new("__name__", "up"), new("job", "a")]));
        app.AppendFloat(a, T0 + (9 * 900_000L), 9);
        await app.CommitAsync(CancellationToken.None);
        var expected = new List<(long, double)>();
        for (int i = 0; i <= 9; i++)
        {
            expected.Add((T0 + (i * 900_000L), i));
        }

        Assert.Equal(expected, Floats(store, "a"));
    }

    private TsdbStore Open() => new(new TsdbOptions { DataDirectory = _dir.Path, RetentionTime = TimeSpan.Zero });

    private static List<(long T, double V)> Floats(TsdbStore store, string job)
    {
        var result = new List<(long, double)>();
        foreach (var s in store.Select(long.MinValue, long.MaxValue, [new LabelMatcher(MatchType.Equal, "job", job)]))
        {
            var it = s.Iterator();
            while (it.Next() == SampleValueType.Float)
            {
                result.Add((it.AtTimestamp, it.AtFloat));
            }
        }

        return result;
    }
}
