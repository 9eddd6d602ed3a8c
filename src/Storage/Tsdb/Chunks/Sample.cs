namespace TraceLink.Storage.Tsdb.Chunks;

/// <summary>One decoded sample of any kind.</summary>
internal readonly record struct Sample(SampleValueType Type, long T, double F, Histogram? H, FloatHistogram? FH)
{
    public static Sample Float(long t, double v) => new(SampleValueType.Float, t, v, null, null);

    public static Sample Int(long t, Histogram h) => new(SampleValueType.Histogram, t, 0, h, null);

    public static Sample FloatHist(long t, FloatHistogram h) => new(SampleValueType.FloatHistogram, t, 0, null, h);
}
