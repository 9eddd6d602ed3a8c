using System.Text;

using TraceLink.Storage.Tsdb;

namespace TraceLink.Ingest.Tests.Support;

/// <summary>One series as recorded by <see cref="RecordingSeriesStore"/>: labels, samples in append order, exemplars.</summary>
public sealed class RecordedSeries(string key, Label[] labels)
{
    private readonly List<RecordedSample> _samples = [];
    private readonly List<Exemplar> _exemplars = [];

    /// <summary>The rendered label set, <c>{a="1", b="2"}</c>.</summary>
    public string Key { get; } = key;

    /// <summary>Labels sorted by name.</summary>
    public IReadOnlyList<Label> Labels { get; } = labels;

    /// <summary>Samples in append order.</summary>
    public IReadOnlyList<RecordedSample> Samples => _samples;

    /// <summary>Exemplars in append order.</summary>
    public IReadOnlyList<Exemplar> Exemplars => _exemplars;

    /// <summary>The newest sample.</summary>
    public RecordedSample Last => _samples[^1];

    /// <summary>A label's value, empty when absent.</summary>
    public string Get(string name)
    {
        foreach (var label in Labels)
        {
            if (label.Name == name)
            {
                return label.Value;
            }
        }

        return string.Empty;
    }

    internal void Add(RecordedSample sample)
    {
        if (_samples.Count > 0 && _samples[^1].TimestampMs >= sample.TimestampMs)
        {
            throw new InvalidOperationException($"out-of-order sample for {Key}: {sample.TimestampMs} after {_samples[^1].TimestampMs}");
        }

        _samples.Add(sample);
    }

    /// <summary>Keeps exemplars sorted by time whatever order they come in, as the TSDB's exemplar store does.</summary>
    internal void AddExemplar(Exemplar exemplar)
    {
        var at = _exemplars.FindLastIndex(e => e.TimestampMs <= exemplar.TimestampMs) + 1;
        _exemplars.Insert(at, exemplar);
    }

    internal static string Render(IReadOnlyList<Label> labels)
    {
        var builder = new StringBuilder("{");
        for (var i = 0; i < labels.Count; i++)
        {
            builder.Append(i == 0 ? string.Empty : ", ").Append(labels[i].Name).Append("=\"").Append(labels[i].Value).Append('"');
        }

        return builder.Append('}').ToString();
    }
}

/// <summary>A recorded float sample (<see cref="Histogram"/> null) or integer native histogram sample.</summary>
public sealed record RecordedSample(long TimestampMs, double Value, Histogram? Histogram)
{
    /// <summary>Absolute bucket counts of an integer histogram, keyed by bucket index.</summary>
    public static SortedDictionary<int, long> AbsoluteBuckets(Histogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        var result = new SortedDictionary<int, long>();
        var index = 0;
        var position = 0;
        long count = 0;
        for (var s = 0; s < histogram.PositiveSpans.Length; s++)
        {
            var span = histogram.PositiveSpans[s];
            index += span.Offset;
            for (var j = 0; j < span.Length; j++)
            {
                count += histogram.PositiveBuckets[position++];
                if (count != 0)
                {
                    result[index] = count;
                }

                index++;
            }
        }

        if (position != histogram.PositiveBuckets.Length)
        {
            throw new InvalidOperationException("spans and buckets disagree");
        }

        return result;
    }

    /// <summary>Converts an integer histogram to the float form PromQL uses.</summary>
    public static FloatHistogram ToFloat(Histogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        var buckets = new double[histogram.PositiveBuckets.Length];
        long count = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            count += histogram.PositiveBuckets[i];
            buckets[i] = count;
        }

        return new FloatHistogram
        {
            CounterResetHint = histogram.CounterResetHint,
            Schema = histogram.Schema,
            ZeroThreshold = histogram.ZeroThreshold,
            ZeroCount = histogram.ZeroCount,
            Count = histogram.Count,
            Sum = histogram.Sum,
            PositiveSpans = histogram.PositiveSpans,
            PositiveBuckets = buckets,
        };
    }
}
