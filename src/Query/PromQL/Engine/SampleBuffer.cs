using System.Buffers;

using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

/// <summary>
/// Reusable arrays holding one series' samples in a time range (floats and histograms interleaved). The arrays come from
/// <see cref="ArrayPool{T}"/> and go back in <see cref="Release"/>, so a query's buffer memory does not grow with the
/// number of samples it reads once the pool is warm.
/// </summary>
internal sealed class SampleBuffer
{
    private const int InitialLength = 256;

    public long[] T = [];
    public double[] F = [];
    public FloatHistogram?[] H = [];
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
                    Grow();
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

    /// <summary>Returns the arrays to the pool; the buffer is empty (and reusable) afterwards.</summary>
    public void Release()
    {
        if (T.Length == 0)
        {
            return;
        }

        ArrayPool<long>.Shared.Return(T);
        ArrayPool<double>.Shared.Return(F);
        ArrayPool<FloatHistogram?>.Shared.Return(H, clearArray: true);
        T = [];
        F = [];
        H = [];
        Count = 0;
    }

    private void Grow()
    {
        var length = Math.Max(InitialLength, T.Length * 2);
        var t = ArrayPool<long>.Shared.Rent(length);
        var f = ArrayPool<double>.Shared.Rent(length);
        var h = ArrayPool<FloatHistogram?>.Shared.Rent(length);
        T.AsSpan(0, Count).CopyTo(t);
        F.AsSpan(0, Count).CopyTo(f);
        H.AsSpan(0, Count).CopyTo(h);
        var count = Count;
        Release();
        Count = count;
        T = t;
        F = f;
        H = h;
    }
}
