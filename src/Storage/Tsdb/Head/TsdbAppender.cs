using System.IO.Hashing;

namespace TraceLink.Storage.Tsdb.Head;

/// <summary>
/// Buffers one batch; <see cref="CommitAsync"/> validates it, logs it to the WAL and applies it atomically.
/// Series are kept as <see cref="SeriesKey"/> bytes in one reused arena, so a batch of known series allocates nothing.
/// Reusable after a commit.
/// </summary>
internal sealed class TsdbAppender(TsdbStore store) : ISeriesKeyAppender
{
    private byte[] _keys = new byte[4096];
    private int _keysLength;
    private IReadOnlyList<Label>? _lastLabels;
    private int _lastIndex = -1;

    // Histograms handed out by NewHistogram/NewFloatHistogram, filled again by the next batch: the store copies what
    // it keeps (a series' last histogram), so a batch of known histogram series allocates nothing.
    private readonly List<Histogram> _histograms = [];
    private readonly List<FloatHistogram> _floatHistograms = [];
    private int _histogramsUsed;
    private int _floatHistogramsUsed;

    public List<SeriesEntry> Series { get; } = [];

    public List<PendingSample> Samples { get; } = [];

    public List<(int SeriesIndex, Exemplar Exemplar)> PendingExemplars { get; } = [];

    public ReadOnlySpan<byte> Key(in SeriesEntry e) => _keys.AsSpan(e.KeyOffset, e.KeyLength);

    public int SeriesRef(ReadOnlySpan<byte> seriesKey)
    {
        int start = _keysLength;
        if (start + seriesKey.Length > _keys.Length)
        {
            Array.Resize(ref _keys, Math.Max(start + seriesKey.Length, _keys.Length * 2));
        }

        seriesKey.CopyTo(_keys.AsSpan(start));
        _keysLength += seriesKey.Length;
        return Add(start, null);
    }

    public int SeriesRef(IReadOnlyList<Label> labels)
    {
        int start = _keysLength;
        _keysLength = SeriesKey.Append(ref _keys, start, labels);
        return Add(start, labels);
    }

    public Histogram NewHistogram() => Next(_histograms, ref _histogramsUsed);

    public FloatHistogram NewFloatHistogram() => Next(_floatHistograms, ref _floatHistogramsUsed);

    public void AppendFloat(int seriesRef, long timestampMs, double value) =>
        Samples.Add(new PendingSample { SeriesIndex = Checked(seriesRef), Type = SampleValueType.Float, T = timestampMs, F = value });

    public void AppendHistogram(int seriesRef, long timestampMs, Histogram histogram) =>
        Samples.Add(new PendingSample { SeriesIndex = Checked(seriesRef), Type = SampleValueType.Histogram, T = timestampMs, Histogram = histogram });

    public void AppendFloatHistogram(int seriesRef, long timestampMs, FloatHistogram histogram) =>
        Samples.Add(new PendingSample { SeriesIndex = Checked(seriesRef), Type = SampleValueType.FloatHistogram, T = timestampMs, Histogram = histogram });

    public void AppendExemplar(int seriesRef, Exemplar exemplar) => PendingExemplars.Add((Checked(seriesRef), exemplar));

    public void AppendFloat(IReadOnlyList<Label> labels, long timestampMs, double value) => AppendFloat(IndexOf(labels), timestampMs, value);

    public void AppendHistogram(IReadOnlyList<Label> labels, long timestampMs, Histogram histogram) => AppendHistogram(IndexOf(labels), timestampMs, histogram);

    public void AppendFloatHistogram(IReadOnlyList<Label> labels, long timestampMs, FloatHistogram histogram) => AppendFloatHistogram(IndexOf(labels), timestampMs, histogram);

    public void AppendExemplar(IReadOnlyList<Label> labels, Exemplar exemplar) => AppendExemplar(IndexOf(labels), exemplar);

    public ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            store.Commit(this);
        }
        finally
        {
            Samples.Clear();
            PendingExemplars.Clear();
            Series.Clear();
            _keysLength = 0;
            _lastLabels = null;
            _lastIndex = -1;
            _histogramsUsed = 0;
            _floatHistogramsUsed = 0;
        }

        return ValueTask.CompletedTask;
    }

    private static T Next<T>(List<T> pool, ref int used)
        where T : new()
    {
        if (used == pool.Count)
        {
            pool.Add(new T());
        }

        return pool[used++];
    }

    private int Checked(int seriesRef) =>
        (uint)seriesRef < (uint)Series.Count ? seriesRef : throw new ArgumentOutOfRangeException(nameof(seriesRef), "not a series reference of this batch");

    private int Add(int start, IReadOnlyList<Label>? labels)
    {
        int length = _keysLength - start;
        Series.Add(new SeriesEntry
        {
            KeyOffset = start,
            KeyLength = length,
            Hash = XxHash3.HashToUInt64(_keys.AsSpan(start, length)),
            Labels = labels,
        });
        return Series.Count - 1;
    }

    private int IndexOf(IReadOnlyList<Label> labels)
    {
        // Callers append all samples of a series with the same label list, so a reference check finds it without hashing.
        if (ReferenceEquals(labels, _lastLabels))
        {
            return _lastIndex;
        }

        _lastLabels = labels;
        _lastIndex = SeriesRef(labels);
        return _lastIndex;
    }
}
