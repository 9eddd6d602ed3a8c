using TraceLink.Storage.Tsdb.Index;

namespace TraceLink.Storage.Tsdb.Head;

/// <summary>
/// Matcher → candidate series ids. The posting lists live in FASTER (<see cref="TsdbIndex"/>); memory holds only
/// the label name → values catalog that regex and negative matchers enumerate, rebuilt from the series' labels on
/// open. Lists may name series that retention dropped; callers skip ids with no live series.
/// </summary>
internal sealed class Postings(TsdbIndex index)
{
    private readonly Dictionary<string, HashSet<string>> _values = new(StringComparer.Ordinal);

    public void AddValues(Label[] labels)
    {
        foreach (var l in labels)
        {
            if (!_values.TryGetValue(l.Name, out var values))
            {
                values = new HashSet<string>(StringComparer.Ordinal);
                _values[l.Name] = values;
            }

            values.Add(l.Value);
        }
    }

    public void Clear() => _values.Clear();

    /// <summary>Candidate ids for a matcher that cannot match the empty string; null when the matcher is not selective.</summary>
    public List<int>? Candidates(LabelMatcher m)
    {
        if (m.Matches(string.Empty))
        {
            return null;
        }

        if (!_values.TryGetValue(m.Name, out var values))
        {
            return [];
        }

        var list = new List<int>();
        if (m.Type == MatchType.Equal)
        {
            if (values.Contains(m.Value))
            {
                index.Read(m.Name, m.Value, list);
            }

            return list;
        }

        List<int>? result = null;
        foreach (var value in values)
        {
            if (m.Matches(value))
            {
                list.Clear();
                index.Read(m.Name, value, list);
                result = result is null ? [.. list] : Merge(result, list);
            }
        }

        return result ?? [];
    }

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
