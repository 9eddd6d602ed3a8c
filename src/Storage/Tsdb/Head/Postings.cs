namespace TraceLink.Storage.Tsdb.Head;

/// <summary>
/// In-memory inverted index label name → value → ascending series ids, rebuilt from blocks and WAL on start.
/// Ids are assigned in increasing order, so appending keeps every list sorted.
/// </summary>
internal sealed class Postings
{
    private readonly Dictionary<string, Dictionary<string, List<int>>> _index = new(StringComparer.Ordinal);

    public void Add(int id, Label[] labels)
    {
        foreach (var l in labels)
        {
            if (!_index.TryGetValue(l.Name, out var values))
            {
                values = new Dictionary<string, List<int>>(StringComparer.Ordinal);
                _index[l.Name] = values;
            }

            if (!values.TryGetValue(l.Value, out var list))
            {
                list = [];
                values[l.Value] = list;
            }

            list.Add(id);
        }
    }

    public void Clear() => _index.Clear();

    /// <summary>Candidate ids for a matcher that cannot match the empty string; null when the matcher is not selective.</summary>
    public List<int>? Candidates(LabelMatcher m)
    {
        if (m.Matches(string.Empty))
        {
            return null;
        }

        if (!_index.TryGetValue(m.Name, out var values))
        {
            return [];
        }

        if (m.Type == MatchType.Equal)
        {
            return values.TryGetValue(m.Value, out var list) ? list : [];
        }

        List<int>? result = null;
        foreach (var (value, list) in values)
        {
            if (m.Matches(value))
            {
                result = result is null ? [.. list] : Merge(result, list);
            }
        }

        return result ?? [];
    }

    public IEnumerable<string> Names => _index.Keys;

    public static List<int> Intersect(List<int> a, List<int> b)
    {
        var r = new List<int>(Math.Min(a.Count, b.Count));
        int i = 0, j = 0;
        while (i < a.Count && j < b.Count)
        {
            if (a[i] < b[j])
            {
                i++;
            }
            else if (a[i] > b[j])
            {
                j++;
            }
            else
            {
                r.Add(a[i]);
                i++;
                j++;
            }
        }

        return r;
    }

    private static List<int> Merge(List<int> a, List<int> b)
    {
        var r = new List<int>(a.Count + b.Count);
        int i = 0, j = 0;
        while (i < a.Count || j < b.Count)
        {
            if (j >= b.Count || (i < a.Count && a[i] < b[j]))
            {
                r.Add(a[i++]);
            }
            else if (i >= a.Count || b[j] < a[i])
            {
                r.Add(b[j++]);
            }
            else
            {
                r.Add(a[i]);
                i++;
                j++;
            }
        }

        return r;
    }
}
