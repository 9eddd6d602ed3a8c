namespace TraceLink.Storage.Tsdb.Head;

/// <summary>One buffered write of an appender; <see cref="SeriesIndex"/> points into the appender's label sets.</summary>
internal struct PendingSample
{
    public int SeriesIndex;
    public SampleValueType Type;
    public long T;
    public double F;
    public object? Histogram;
    public bool Skip;
}
