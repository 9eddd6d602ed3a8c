using TraceLink.Storage.Tsdb.Chunks;

namespace TraceLink.Storage.Tsdb.Head;

/// <summary>Iterator over a materialised, time-sorted sample list.</summary>
internal sealed class SampleListIterator(List<Sample> samples) : ISeriesIterator
{
    private int _index = -1;

    public long AtTimestamp => samples[_index].T;

    public double AtFloat => samples[_index].F;

    public Histogram AtHistogram() => samples[_index].H ?? throw new InvalidOperationException("not positioned on an integer histogram");

    public FloatHistogram AtFloatHistogram()
    {
        var s = samples[_index];
        return s.FH ?? s.H?.ToFloat() ?? throw new InvalidOperationException("not positioned on a histogram");
    }

    public SampleValueType Next()
    {
        if (_index + 1 >= samples.Count)
        {
            _index = samples.Count;
            return SampleValueType.None;
        }

        _index++;
        return samples[_index].Type;
    }

    public SampleValueType Seek(long timestampMs)
    {
        if (_index >= samples.Count)
        {
            return SampleValueType.None;
        }

        if (_index >= 0 && samples[_index].T >= timestampMs)
        {
            return samples[_index].Type;
        }

        int lo = Math.Max(_index, 0), hi = samples.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (samples[mid].T < timestampMs)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        _index = lo;
        return lo < samples.Count ? samples[lo].Type : SampleValueType.None;
    }
}
