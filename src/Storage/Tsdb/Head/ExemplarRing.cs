namespace TraceLink.Storage.Tsdb.Head;

/// <summary>
/// Bounded per-series exemplar store: the exemplar added first is overwritten when full. Exemplars may arrive out of
/// time order (a span batch that came late); they are read back sorted by time.
/// </summary>
internal sealed class ExemplarRing(int capacity)
{
    private readonly Exemplar[] _items = new Exemplar[capacity];
    private int _next;
    private int _count;

    public bool Add(Exemplar e)
    {
        if (_count > 0)
        {
            var last = _items[(_next - 1 + _items.Length) % _items.Length];
            // Prometheus drops an exact repeat of the newest exemplar (senders resend it with every sample).
            if (last.TimestampMs == e.TimestampMs && BitConverter.DoubleToUInt64Bits(last.Value) == BitConverter.DoubleToUInt64Bits(e.Value) && SameLabels(last.Labels, e.Labels))
            {
                return false;
            }
        }

        _items[_next] = e;
        _next = (_next + 1) % _items.Length;
        _count = Math.Min(_count + 1, _items.Length);
        return true;
    }

    public void CopyTo(List<Exemplar> output, long minT, long maxT)
    {
        int first = output.Count;
        int start = (_next - _count + _items.Length) % _items.Length;
        for (int i = 0; i < _count; i++)
        {
            var e = _items[(start + i) % _items.Length];
            if (e.TimestampMs >= minT && e.TimestampMs <= maxT)
            {
                output.Add(e);
            }
        }

        output.Sort(first, output.Count - first, ByTime.Instance);
    }

    private static bool SameLabels(IReadOnlyList<Label> a, IReadOnlyList<Label> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }

    private sealed class ByTime : IComparer<Exemplar>
    {
        public static readonly ByTime Instance = new();

        public int Compare(Exemplar x, Exemplar y) => x.TimestampMs != y.TimestampMs ? x.TimestampMs.CompareTo(y.TimestampMs) : x.Value.CompareTo(y.Value);
    }
}
