using TraceLink.Storage.Tsdb;

namespace TraceLink.Benchmarks.PromQL;

/// <summary>A read-only store over pre-built sample arrays, so the benchmark measures the engine, not storage.</summary>
internal sealed class ArraySeriesStore(List<(Label[] Labels, long[] T, double[] V)> series) : ISeriesStore
{
    public IEnumerable<ISeries> Select(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
    {
        foreach (var s in series)
        {
            var ok = true;
            foreach (var m in matchers)
            {
                var v = string.Empty;
                foreach (var l in s.Labels)
                {
                    if (l.Name == m.Name)
                    {
                        v = l.Value;
                        break;
                    }
                }

                if (!m.Matches(v))
                {
                    ok = false;
                    break;
                }
            }

            if (ok)
            {
                yield return new Series(s.Labels, s.T, s.V);
            }
        }
    }

    public IReadOnlyList<string> LabelNames(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers) => throw new NotSupportedException();

    public IReadOnlyList<string> LabelValues(string name, long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers) => throw new NotSupportedException();

    public ISampleAppender Appender() => throw new NotSupportedException();

    public IReadOnlyList<(IReadOnlyList<Label> Series, IReadOnlyList<Exemplar> Exemplars)> Exemplars(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers) => [];

    private sealed class Series(Label[] labels, long[] t, double[] v) : ISeries
    {
        public IReadOnlyList<Label> Labels => labels;

        public ISeriesIterator Iterator() => new Iterator(t, v);
    }

    private sealed class Iterator(long[] t, double[] v) : ISeriesIterator
    {
        private int _i = -1;

        public long AtTimestamp => t[_i];

        public double AtFloat => v[_i];

        public Histogram AtHistogram() => throw new NotSupportedException();

        public FloatHistogram AtFloatHistogram() => throw new NotSupportedException();

        public SampleValueType Next() => ++_i < t.Length ? SampleValueType.Float : SampleValueType.None;

        public SampleValueType Seek(long timestampMs)
        {
            if (_i < 0)
            {
                _i = 0;
            }

            var idx = Array.BinarySearch(t, _i, t.Length - _i, timestampMs);
            _i = Math.Max(_i, idx < 0 ? ~idx : idx);
            return _i < t.Length ? SampleValueType.Float : SampleValueType.None;
        }
    }
}
