using System.Text;

using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

/// <summary>Helpers over sorted label arrays.</summary>
internal static class Labels
{
    public const string MetricName = "__name__";

    public static readonly Label[] Empty = [];

    public static string Get(Label[] ls, string name)
    {
        foreach (var l in ls)
        {
            if (l.Name == name)
            {
                return l.Value;
            }
        }

        return string.Empty;
    }

    public static bool Has(Label[] ls, string name)
    {
        foreach (var l in ls)
        {
            if (l.Name == name)
            {
                return true;
            }
        }

        return false;
    }

    public static int Compare(Label[] a, Label[] b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            var c = string.CompareOrdinal(a[i].Name, b[i].Name);
            if (c != 0)
            {
                return c;
            }

            c = string.CompareOrdinal(a[i].Value, b[i].Value);
            if (c != 0)
            {
                return c;
            }
        }

        return a.Length - b.Length;
    }

    public static bool Equal(Label[] a, Label[] b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (a[i].Name != b[i].Name || a[i].Value != b[i].Value)
            {
                return false;
            }
        }

        return true;
    }

    private const ulong FnvOffset = 14695981039346656037;
    private const ulong FnvPrime = 1099511628211;

    private static ulong Mix(ulong h, string s)
    {
        foreach (var c in s)
        {
            h = (h ^ c) * FnvPrime;
        }

        return (h ^ 0xff) * FnvPrime;
    }

    public static ulong Hash(Label[] ls)
    {
        var h = FnvOffset;
        foreach (var l in ls)
        {
            h = Mix(Mix(h, l.Name), l.Value);
        }

        return h;
    }

    /// <summary>Hash of only the named labels (<paramref name="names"/> sorted), for <c>by</c>/<c>on</c>.</summary>
    public static ulong HashFor(Label[] ls, string[] names)
    {
        var h = FnvOffset;
        foreach (var l in ls)
        {
            if (Array.BinarySearch(names, l.Name, StringComparer.Ordinal) >= 0)
            {
                h = Mix(Mix(h, l.Name), l.Value);
            }
        }

        return h;
    }

    /// <summary>Hash of all labels except the named ones (sorted) and, when asked, <c>__name__</c>.</summary>
    public static ulong HashWithout(Label[] ls, string[] names, bool dropName)
    {
        var h = FnvOffset;
        foreach (var l in ls)
        {
            if ((dropName && l.Name == MetricName) || Array.BinarySearch(names, l.Name, StringComparer.Ordinal) >= 0)
            {
                continue;
            }

            h = Mix(Mix(h, l.Name), l.Value);
        }

        return h;
    }

    /// <summary>Prometheus's <c>labels.Hash()</c> (xxhash64 of name 0xff value 0xff ...), used by limit_ratio.</summary>
    public static ulong PrometheusHash(Label[] ls)
    {
        var buf = new List<byte>(256);
        foreach (var l in ls)
        {
            buf.AddRange(Encoding.UTF8.GetBytes(l.Name));
            buf.Add(0xff);
            buf.AddRange(Encoding.UTF8.GetBytes(l.Value));
            buf.Add(0xff);
        }

        return System.IO.Hashing.XxHash64.HashToUInt64(buf.ToArray());
    }

    public static Label[] Keep(Label[] ls, string[] names)
    {
        var r = new List<Label>(names.Length);
        foreach (var l in ls)
        {
            if (Array.BinarySearch(names, l.Name, StringComparer.Ordinal) >= 0)
            {
                r.Add(l);
            }
        }

        return r.ToArray();
    }

    public static Label[] Without(Label[] ls, string[] names, bool dropName)
    {
        var r = new List<Label>(ls.Length);
        foreach (var l in ls)
        {
            if ((dropName && l.Name == MetricName) || Array.BinarySearch(names, l.Name, StringComparer.Ordinal) >= 0)
            {
                continue;
            }

            r.Add(l);
        }

        return r.ToArray();
    }

    public static Label[] DropMetricName(Label[] ls)
    {
        for (var i = 0; i < ls.Length; i++)
        {
            if (ls[i].Name == MetricName)
            {
                var r = new Label[ls.Length - 1];
                Array.Copy(ls, 0, r, 0, i);
                Array.Copy(ls, i + 1, r, i, ls.Length - i - 1);
                return r;
            }
        }

        return ls;
    }

    /// <summary>Sets (or with an empty value deletes) a label, keeping the array sorted.</summary>
    public static Label[] Set(Label[] ls, string name, string value)
    {
        var r = new List<Label>(ls.Length + 1);
        var done = false;
        foreach (var l in ls)
        {
            var c = string.CompareOrdinal(l.Name, name);
            if (c == 0)
            {
                if (value.Length > 0)
                {
                    r.Add(new Label(name, value));
                }

                done = true;
                continue;
            }

            if (c > 0 && !done)
            {
                if (value.Length > 0)
                {
                    r.Add(new Label(name, value));
                }

                done = true;
            }

            r.Add(l);
        }

        if (!done && value.Length > 0)
        {
            r.Add(new Label(name, value));
        }

        return r.ToArray();
    }

    public static Label[] FromList(IReadOnlyList<Label> ls)
    {
        var r = new Label[ls.Count];
        for (var i = 0; i < r.Length; i++)
        {
            r[i] = ls[i];
        }

        return r;
    }

    public static string ToString(Label[] ls)
    {
        var sb = new StringBuilder("{");
        for (var i = 0; i < ls.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(ls[i].Name).Append("=\"").Append(ls[i].Value).Append('"');
        }

        return sb.Append('}').ToString();
    }
}
