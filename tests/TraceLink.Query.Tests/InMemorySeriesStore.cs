using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.Tests;

/// <summary>
/// Test double of the TSDB's series-selection contract: series kept in memory, selected with the shared
/// <see cref="LabelMatcher"/>. Histograms are kept as given (integer or float).
/// </summary>
public sealed class InMemorySeriesStore : ISeriesStore
{
    private readonly SortedDictionary<string, StoredSeries> _series = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    internal sealed class StoredSeries(Label[] labels)
    {
        public Label[] Labels { get; } = labels;
        public List<(long T, double F, Histogram? H, FloatHistogram? FH)> Samples { get; } = [];
        public List<Exemplar> Exemplars { get; } = [];
    }

    private static string Key(IReadOnlyList<Label> labels)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var l in labels)
        {
            sb.Append(l.Name).Append('\xff').Append(l.Value).Append('\xfe');
        }

        return sb.ToString();
    }

    private StoredSeries GetOrAdd(IReadOnlyList<Label> labels)
    {
        var sorted = labels.OrderBy(l => l.Name, StringComparer.Ordinal).ToArray();
        var key = Key(sorted);
        if (!_series.TryGetValue(key, out var s))
        {
            s = new StoredSeries(sorted);
            _series[key] = s;
        }

        return s;
    }

    /// <summary>Removes all data.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _series.Clear();
        }
    }

    /// <summary>Adds a float sample directly (test setup).</summary>
    public void Add(IReadOnlyList<Label> labels, long t, double v) => Insert(labels, (t, v, null, null));

    /// <summary>Adds a float histogram sample directly (test setup).</summary>
    public void Add(IReadOnlyList<Label> labels, long t, FloatHistogram h) => Insert(labels, (t, 0, null, h));

    private void Insert(IReadOnlyList<Label> labels, (long T, double F, Histogram? H, FloatHistogram? FH) sample)
    {
        lock (_lock)
        {
            var s = GetOrAdd(labels);
            var i = s.Samples.Count;
            while (i > 0 && s.Samples[i - 1].T > sample.T)
            {
                i--;
            }

            if (i > 0 && s.Samples[i - 1].T == sample.T)
            {
                s.Samples[i - 1] = sample;
            }
            else
            {
                s.Samples.Insert(i, sample);
            }
        }
    }

    private static bool Matches(Label[] labels, IReadOnlyList<LabelMatcher> matchers)
    {
        foreach (var m in matchers)
        {
            var v = string.Empty;
            foreach (var l in labels)
            {
                if (l.Name == m.Name)
                {
                    v = l.Value;
                    break;
                }
            }

            if (!m.Matches(v))
            {
                return false;
            }
        }

        return true;
    }

    private List<StoredSeries> Matching(long mint, long maxt, IReadOnlyList<LabelMatcher> matchers)
    {
        lock (_lock)
        {
            var r = new List<StoredSeries>();
            foreach (var s in _series.Values)
            {
                if (Matches(s.Labels, matchers) && s.Samples.Any(x => x.T >= mint && x.T <= maxt))
                {
                    r.Add(s);
                }
            }

            r.Sort((a, b) => PromQL.Engine.Labels.Compare(a.Labels, b.Labels));
            return r;
        }
    }

    /// <inheritdoc />
    public IEnumerable<ISeries> Select(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
    {
        foreach (var s in Matching(minTimeMs, maxTimeMs, matchers))
        {
            yield return new Series(s.Labels, s.Samples.ToArray());
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> LabelNames(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var s in Matching(minTimeMs, maxTimeMs, matchers))
        {
            foreach (var l in s.Labels)
            {
                set.Add(l.Name);
            }
        }

        return [.. set];
    }

    /// <inheritdoc />
    public IReadOnlyList<string> LabelValues(string name, long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var s in Matching(minTimeMs, maxTimeMs, matchers))
        {
            foreach (var l in s.Labels)
            {
                if (l.Name == name)
                {
                    set.Add(l.Value);
                }
            }
        }

        return [.. set];
    }

    /// <inheritdoc />
    public ISampleAppender Appender() => new MemoryAppender(this);

    /// <inheritdoc />
    public IReadOnlyList<(IReadOnlyList<Label> Series, IReadOnlyList<Exemplar> Exemplars)> Exemplars(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
    {
        var r = new List<(IReadOnlyList<Label>, IReadOnlyList<Exemplar>)>();
        lock (_lock)
        {
            foreach (var s in _series.Values)
            {
                if (!Matches(s.Labels, matchers))
                {
                    continue;
                }

                var ex = s.Exemplars.Where(e => e.TimestampMs >= minTimeMs && e.TimestampMs <= maxTimeMs).ToList();
                if (ex.Count > 0)
                {
                    r.Add((s.Labels, ex));
                }
            }
        }

        return r;
    }

    private sealed class MemoryAppender(InMemorySeriesStore store) : ISampleAppender
    {
        private readonly List<Action> _pending = [];

        public void AppendFloat(IReadOnlyList<Label> labels, long timestampMs, double value) => _pending.Add(() => store.Insert(labels, (timestampMs, value, null, null)));

        public void AppendHistogram(IReadOnlyList<Label> labels, long timestampMs, Histogram histogram) => _pending.Add(() => store.Insert(labels, (timestampMs, 0, histogram, null)));

        public void AppendFloatHistogram(IReadOnlyList<Label> labels, long timestampMs, FloatHistogram histogram) => _pending.Add(() => store.Insert(labels, (timestampMs, 0, null, histogram)));

        public void AppendExemplar(IReadOnlyList<Label> labels, Exemplar exemplar) => _pending.Add(() =>
        {
            lock (store._lock)
            {
                store.GetOrAdd(labels).Exemplars.Add(exemplar);
            }
        });

        public ValueTask CommitAsync(CancellationToken cancellationToken)
        {
            foreach (var a in _pending)
            {
                a();
            }

            _pending.Clear();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Series(Label[] labels, (long T, double F, Histogram? H, FloatHistogram? FH)[] samples) : ISeries
    {
        public IReadOnlyList<Label> Labels => labels;

        public ISeriesIterator Iterator() => new Iterator(samples);
    }

    private sealed class Iterator((long T, double F, Histogram? H, FloatHistogram? FH)[] samples) : ISeriesIterator
    {
        private int _i = -1;

        public long AtTimestamp => samples[_i].T;

        public double AtFloat => samples[_i].F;

        public Histogram AtHistogram() => samples[_i].H ?? throw new InvalidOperationException("not an integer histogram");

        public FloatHistogram AtFloatHistogram() => samples[_i].FH ?? PromQL.Engine.HistogramMath.FromInt(samples[_i].H!);

        private SampleValueType Current => _i >= samples.Length ? SampleValueType.None
            : samples[_i].H != null ? SampleValueType.Histogram
            : samples[_i].FH != null ? SampleValueType.FloatHistogram
            : SampleValueType.Float;

        public SampleValueType Next()
        {
            if (_i < samples.Length)
            {
                _i++;
            }

            return Current;
        }

        public SampleValueType Seek(long timestampMs)
        {
            if (_i < 0)
            {
                _i = 0;
            }

            while (_i < samples.Length && samples[_i].T < timestampMs)
            {
                _i++;
            }

            return Current;
        }
    }
}
