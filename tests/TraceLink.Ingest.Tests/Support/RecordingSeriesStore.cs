using TraceLink.Storage.Tsdb;

namespace TraceLink.Ingest.Tests.Support;

/// <summary>
/// An in-memory <see cref="ISeriesStore"/> that records every committed sample and exemplar, for tests of
/// components that write to the TSDB. Selection honours <see cref="LabelMatcher"/> like the real store.
/// </summary>
public sealed class RecordingSeriesStore : ISeriesStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RecordedSeries> _series = new(StringComparer.Ordinal);

    /// <summary>Number of successful commits.</summary>
    public int Commits { get; private set; }

    /// <summary>Every series written so far, keyed by its rendered label set.</summary>
    public IReadOnlyCollection<RecordedSeries> AllSeries
    {
        get
        {
            lock (_gate)
            {
                return [.. _series.Values];
            }
        }
    }

    /// <summary>Series whose <c>__name__</c> is <paramref name="metricName"/>.</summary>
    public IReadOnlyList<RecordedSeries> SeriesNamed(string metricName)
    {
        var result = new List<RecordedSeries>();
        foreach (var series in AllSeries)
        {
            if (series.Get("__name__") == metricName)
            {
                result.Add(series);
            }
        }

        return result;
    }

    /// <inheritdoc />
    public ISampleAppender Appender() => new RecordingAppender(this);

    /// <inheritdoc />
    public IEnumerable<ISeries> Select(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
    {
        var result = new List<ISeries>();
        foreach (var series in Matching(matchers))
        {
            var samples = series.Samples.Where(s => s.TimestampMs >= minTimeMs && s.TimestampMs <= maxTimeMs).ToList();
            if (samples.Count > 0)
            {
                result.Add(new RecordedSeriesView(series.Labels, samples));
            }
        }

        return result;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> LabelNames(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
        => Matching(matchers).SelectMany(s => s.Labels).Select(l => l.Name).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <inheritdoc />
    public IReadOnlyList<string> LabelValues(string name, long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
        => Matching(matchers).Select(s => s.Get(name)).Where(v => v.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <inheritdoc />
    public IReadOnlyList<(IReadOnlyList<Label> Series, IReadOnlyList<Exemplar> Exemplars)> Exemplars(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
        => Matching(matchers)
            .Select(s => ((IReadOnlyList<Label>)s.Labels, (IReadOnlyList<Exemplar>)s.Exemplars.Where(e => e.TimestampMs >= minTimeMs && e.TimestampMs <= maxTimeMs).ToList()))
            .Where(p => p.Item2.Count > 0)
            .ToList();

    private List<RecordedSeries> Matching(IReadOnlyList<LabelMatcher> matchers)
    {
        var result = new List<RecordedSeries>();
        foreach (var series in AllSeries)
        {
            if (matchers.All(m => m.Matches(series.Get(m.Name))))
            {
                result.Add(series);
            }
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return result;
    }

    private void Commit(List<Action<Func<IReadOnlyList<Label>, RecordedSeries>>> writes)
    {
        lock (_gate)
        {
            foreach (var write in writes)
            {
                write(GetOrAdd);
            }

            Commits++;
        }
    }

    private RecordedSeries GetOrAdd(IReadOnlyList<Label> labels)
    {
        for (var i = 1; i < labels.Count; i++)
        {
            if (string.CompareOrdinal(labels[i - 1].Name, labels[i].Name) >= 0)
            {
                throw new InvalidOperationException("labels must be sorted by name and unique: " + RecordedSeries.Render(labels));
            }
        }

        var key = RecordedSeries.Render(labels);
        if (!_series.TryGetValue(key, out var series))
        {
            series = new RecordedSeries(key, [.. labels]);
            _series.Add(key, series);
        }

        return series;
    }

    private sealed class RecordingAppender(RecordingSeriesStore store) : ISampleAppender
    {
        private readonly List<Action<Func<IReadOnlyList<Label>, RecordedSeries>>> _writes = [];

        public void AppendFloat(IReadOnlyList<Label> labels, long timestampMs, double value)
            => _writes.Add(get => get(labels).Add(new RecordedSample(timestampMs, value, null)));

        public void AppendHistogram(IReadOnlyList<Label> labels, long timestampMs, Histogram histogram)
            => _writes.Add(get => get(labels).Add(new RecordedSample(timestampMs, double.NaN, histogram)));

        public void AppendFloatHistogram(IReadOnlyList<Label> labels, long timestampMs, FloatHistogram histogram)
            => throw new NotSupportedException("float histograms are not recorded");

        public void AppendExemplar(IReadOnlyList<Label> labels, Exemplar exemplar)
            => _writes.Add(get => get(labels).AddExemplar(exemplar));

        public ValueTask CommitAsync(CancellationToken cancellationToken)
        {
            store.Commit(_writes);
            _writes.Clear();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class RecordedSeriesView(IReadOnlyList<Label> labels, List<RecordedSample> samples) : ISeries
    {
        public IReadOnlyList<Label> Labels { get; } = labels;

        public ISeriesIterator Iterator() => new SampleIterator(samples);

        private sealed class SampleIterator(List<RecordedSample> samples) : ISeriesIterator
        {
            private int _position = -1;

            public long AtTimestamp => samples[_position].TimestampMs;

            public double AtFloat => samples[_position].Value;

            public SampleValueType Next() => ++_position < samples.Count ? Type() : SampleValueType.None;

            public SampleValueType Seek(long timestampMs)
            {
                if (_position < 0)
                {
                    _position = 0;
                }

                while (_position < samples.Count && samples[_position].TimestampMs < timestampMs)
                {
                    _position++;
                }

                return _position < samples.Count ? Type() : SampleValueType.None;
            }

            public Histogram AtHistogram() => samples[_position].Histogram!;

            public FloatHistogram AtFloatHistogram() => RecordedSample.ToFloat(samples[_position].Histogram!);

            private SampleValueType Type() => samples[_position].Histogram is null ? SampleValueType.Float : SampleValueType.Histogram;
        }
    }
}
