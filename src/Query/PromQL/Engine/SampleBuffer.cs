using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

/// <summary>Reusable arrays holding one series' samples in a time range (floats and histograms interleaved).</summary>
internal sealed class SampleBuffer
{
    public long[] T = new long[64];
    public double[] F = new double[64];
    public FloatHistogram?[] H = new FloatHistogram?[64];
    public int Count;

    public void Load(ISeriesIterator it, long mint, long maxt, bool includeStale)
    {
        Count = 0;
        var type = it.Seek(mint);
        while (type != SampleValueType.None)
        {
            var t = it.AtTimestamp;
            if (t > maxt)
            {
                break;
            }

            if (t >= mint)
            {
                if (Count == T.Length)
                {
                    Array.Resize(ref T, Count * 2);
                    Array.Resize(ref F, Count * 2);
                    Array.Resize(ref H, Count * 2);
                }

                if (type == SampleValueType.Float)
                {
                    var f = it.AtFloat;
                    if (includeStale || !StaleNaN.Is(f))
                    {
                        T[Count] = t;
                        F[Count] = f;
                        H[Count] = null;
                        Count++;
                    }
                }
                else
                {
                    var h = type == SampleValueType.Histogram ? HistogramMath.FromInt(it.AtHistogram()) : HistogramMath.Copy(it.AtFloatHistogram());
                    if (includeStale || !HistogramMath.IsStale(h))
                    {
                        T[Count] = t;
                        F[Count] = 0;
                        H[Count] = h;
                        Count++;
                    }
                }
            }

            type = it.Next();
        }
    }
}
