using TraceLink.Storage.Tsdb;

namespace TraceLink.Ingest.SpanMetrics;

/// <summary>
/// A cumulative native histogram of positive values with Prometheus bucket indexing: bucket <c>i</c> at
/// schema <c>s</c> holds (2^((i-1)/2^s), 2^(i/2^s)]. When the populated range would exceed the bucket limit,
/// the schema drops by one and neighbouring buckets merge, as client_golang and the OTel SDK do.
/// </summary>
internal sealed class ExponentialHistogram
{
    /// <summary>Prometheus' default zero threshold, 2^-128.</summary>
    public const double ZeroThreshold = 2.938735877055719e-39;

    /// <summary>Bucket key reported for values that landed in the zero bucket.</summary>
    public const int ZeroBucket = int.MinValue;

    private const int MinSchema = -4;
    private static readonly double[][] Bounds = CreateBounds();

    private readonly int _maxBuckets;
    private ulong[] _counts = new ulong[8];
    private int _minIndex;
    private int _maxIndex;
    private bool _empty = true;

    public ExponentialHistogram(int schema, int maxBuckets)
    {
        Schema = schema;
        _maxBuckets = maxBuckets;
    }

    public int Schema { get; private set; }

    public ulong Count { get; private set; }

    public ulong ZeroCount { get; private set; }

    public double Sum { get; private set; }

    /// <summary>Adds one observation; returns its bucket index at the (possibly reduced) schema.</summary>
    public int Record(double value)
    {
        Count++;
        Sum += value;
        if (!(value > ZeroThreshold))
        {
            ZeroCount++;
            return ZeroBucket;
        }

        var index = BucketIndex(value, Schema);
        if (_empty)
        {
            _minIndex = _maxIndex = index;
            _empty = false;
        }
        else
        {
            while (Math.Max(_maxIndex, index) - Math.Min(_minIndex, index) + 1 > _maxBuckets && Schema > MinSchema)
            {
                Downscale();
                index = Merge(index);
            }

            var newMin = Math.Min(_minIndex, index);
            var newMax = Math.Max(_maxIndex, index);
            if (newMax - newMin + 1 > _counts.Length)
            {
                Grow(newMax - newMin + 1);
            }

            _minIndex = newMin;
            _maxIndex = newMax;
        }

        _counts[Slot(index)]++;
        return index;
    }

    /// <summary>The integer native histogram of everything recorded so far (absolute counts, delta-encoded buckets).</summary>
    public Histogram ToHistogram(CounterResetHint hint)
    {
        var spans = new List<BucketSpan>();
        var deltas = new List<long>();
        if (!_empty)
        {
            long previous = 0;
            var spanStart = int.MinValue;
            var spanLength = 0u;
            var lastEnd = 0;
            var zerosPending = 0;
            for (var index = _minIndex; index <= _maxIndex; index++)
            {
                var count = (long)_counts[Slot(index)];
                if (count == 0)
                {
                    zerosPending++;
                    continue;
                }

                // Gaps of up to two empty buckets stay inside a span (cheaper than a new span), as Prometheus does.
                if (spanStart != int.MinValue && zerosPending <= 2)
                {
                    for (var z = 0; z < zerosPending; z++)
                    {
                        deltas.Add(-previous);
                        previous = 0;
                    }

                    spanLength += (uint)zerosPending + 1;
                }
                else
                {
                    if (spanStart != int.MinValue)
                    {
                        // The first span's offset is its absolute index; later ones count the gap after the previous span.
                        spans.Add(new BucketSpan(spans.Count == 0 ? spanStart : spanStart - lastEnd, spanLength));
                        lastEnd = spanStart + (int)spanLength;
                    }

                    spanStart = index;
                    spanLength = 1;
                }

                zerosPending = 0;
                deltas.Add(count - previous);
                previous = count;
            }

            spans.Add(new BucketSpan(spans.Count == 0 ? spanStart : spanStart - lastEnd, spanLength));
        }

        return new Histogram
        {
            CounterResetHint = hint,
            Schema = Schema,
            ZeroThreshold = ZeroThreshold,
            ZeroCount = ZeroCount,
            Count = Count,
            Sum = Sum,
            PositiveSpans = [.. spans],
            PositiveBuckets = [.. deltas],
        };
    }

    /// <summary>Prometheus' bucket index of a positive value (model/histogram: frexp, then bound search).</summary>
    public static int BucketIndex(double value, int schema)
    {
        var exponent = Math.ILogB(value) + 1;
        var fraction = Math.ScaleB(value, -exponent);
        if (schema > 0)
        {
            var bounds = Bounds[schema];
            var position = Array.BinarySearch(bounds, fraction);
            if (position < 0)
            {
                position = ~position;
            }

            return position + ((exponent - 1) * bounds.Length);
        }

        var key = exponent;
        if (fraction == 0.5)
        {
            key--;
        }

        var offset = (1 << -schema) - 1;
        return (key + offset) >> -schema;
    }

    private static int Merge(int index) => ((index - 1) >> 1) + 1;

    private void Downscale()
    {
        var old = _counts;
        var oldMin = _minIndex;
        var oldMax = _maxIndex;
        var oldLength = old.Length;
        _minIndex = Merge(oldMin);
        _maxIndex = Merge(oldMax);
        _counts = new ulong[oldLength];
        Schema--;
        for (var index = oldMin; index <= oldMax; index++)
        {
            var count = old[PositiveModulo(index, oldLength)];
            if (count != 0)
            {
                _counts[Slot(Merge(index))] += count;
            }
        }
    }

    private void Grow(int needed)
    {
        var old = _counts;
        var capacity = old.Length;
        while (capacity < needed)
        {
            capacity *= 2;
        }

        _counts = new ulong[capacity];
        for (var index = _minIndex; index <= _maxIndex; index++)
        {
            _counts[Slot(index)] = old[PositiveModulo(index, old.Length)];
        }
    }

    private int Slot(int index) => PositiveModulo(index, _counts.Length);

    private static int PositiveModulo(int value, int length)
    {
        var slot = value % length;
        return slot < 0 ? slot + length : slot;
    }

    private static double[][] CreateBounds()
    {
        var bounds = new double[9][];
        bounds[0] = [];
        for (var schema = 1; schema <= 8; schema++)
        {
            var n = 1 << schema;
            var table = new double[n];
            for (var j = 0; j < n; j++)
            {
                table[j] = Math.Pow(2, ((double)j / n) - 1);
            }

            bounds[schema] = table;
        }

        return bounds;
    }
}
