using System.Globalization;

using TraceLink.Query.PromQL.Engine;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.Tests.PromQLTests;

/// <summary>One value of an expanded series description: omitted, a float, or a float histogram.</summary>
internal readonly record struct SequenceValue(bool Omitted, double Value, FloatHistogram? Histogram);

/// <summary>Parses Prometheus test series descriptions: <c>metric{a="b"} 1+2x3 _ stale {{schema:0 sum:1 count:1 buckets:[1]}}x2</c>.</summary>
internal static class SeriesDescription
{
    public static (Label[] Labels, List<SequenceValue> Values) Parse(string line)
    {
        var i = 0;
        var labels = ParseMetric(line, ref i);
        var values = new List<SequenceValue>();
        while (i < line.Length)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i]))
            {
                i++;
            }

            if (i >= line.Length)
            {
                break;
            }

            var start = i;
            if (line.AsSpan(i).StartsWith("{{"))
            {
                // A histogram item may be {{..}}, {{..}}xN, {{..}}+{{..}}xN or {{..}}-{{..}}xN.
                i = SkipHist(line, i);
                if (i < line.Length && (line[i] == '+' || line[i] == '-') && line.AsSpan(i + 1).StartsWith("{{"))
                {
                    i = SkipHist(line, i + 1);
                }

                while (i < line.Length && !char.IsWhiteSpace(line[i]))
                {
                    i++;
                }
            }
            else
            {
                while (i < line.Length && !char.IsWhiteSpace(line[i]))
                {
                    i++;
                }
            }

            ParseItem(line[start..i], values);
        }

        return (labels, values);
    }

    private static int SkipHist(string s, int i)
    {
        var end = s.IndexOf("}}", i, StringComparison.Ordinal);
        if (end < 0)
        {
            throw new FormatException("unterminated histogram in " + s);
        }

        return end + 2;
    }

    public static Label[] ParseMetric(string line, ref int i)
    {
        var labels = new List<Label>();
        var start = i;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':'))
        {
            i++;
        }

        if (i > start)
        {
            labels.Add(new Label("__name__", line[start..i]));
        }

        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                while (i < line.Length && (char.IsWhiteSpace(line[i]) || line[i] == ','))
                {
                    i++;
                }

                if (line[i] == '}')
                {
                    i++;
                    break;
                }

                var ns = i;
                string name;
                if (line[i] == '"')
                {
                    name = ReadString(line, ref i);
                }
                else
                {
                    while (char.IsAsciiLetterOrDigit(line[i]) || line[i] == '_')
                    {
                        i++;
                    }

                    name = line[ns..i];
                }

                while (char.IsWhiteSpace(line[i]))
                {
                    i++;
                }

                if (line[i] != '=')
                {
                    throw new FormatException("expected '=' in " + line);
                }

                i++;
                while (char.IsWhiteSpace(line[i]))
                {
                    i++;
                }

                var value = ReadString(line, ref i);
                labels.Add(new Label(name, value));
            }
        }

        labels.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return [.. labels];
    }

    private static string ReadString(string s, ref int i)
    {
        var quote = s[i];
        var sb = new System.Text.StringBuilder();
        i++;
        while (s[i] != quote)
        {
            if (s[i] == '\\' && quote != '`')
            {
                i++;
                sb.Append(s[i] switch
                {
                    'n' => '\n',
                    't' => '\t',
                    _ => s[i],
                });
            }
            else
            {
                sb.Append(s[i]);
            }

            i++;
        }

        i++;
        return sb.ToString();
    }

    private static double Number(string s)
    {
        if (s == "stale")
        {
            return StaleNaN.Value;
        }

        var neg = false;
        var t = s;
        if (t.StartsWith('+'))
        {
            t = t[1..];
        }
        else if (t.StartsWith('-'))
        {
            neg = true;
            t = t[1..];
        }

        if (!PromQL.Parser.Lexer.TryParseNumber(t, out var v) && !double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out v))
        {
            throw new FormatException("bad number " + s);
        }

        return neg ? -v : v;
    }

    private static void ParseItem(string item, List<SequenceValue> values)
    {
        if (item.StartsWith("{{", StringComparison.Ordinal))
        {
            var end = item.IndexOf("}}", StringComparison.Ordinal);
            var baseH = ParseHistogram(item[2..end]);
            var rest = item[(end + 2)..];
            if (rest.Length == 0)
            {
                values.Add(new SequenceValue(false, 0, baseH));
                return;
            }

            if (rest[0] == 'x')
            {
                var n = int.Parse(rest[1..], CultureInfo.InvariantCulture);
                for (var k = 0; k <= n; k++)
                {
                    values.Add(new SequenceValue(false, 0, baseH));
                }

                return;
            }

            var sign = rest[0] == '+' ? 1 : -1;
            var end2 = rest.IndexOf("}}", StringComparison.Ordinal);
            var inc = ParseHistogram(rest[3..end2]);
            var times = int.Parse(rest[(end2 + 3)..], CultureInfo.InvariantCulture);
            values.Add(new SequenceValue(false, 0, baseH));
            var cur = baseH;
            for (var k = 1; k <= times; k++)
            {
                var next = HistogramMath.Copy(cur);
                if (HistogramMath.AddInPlace(next, inc, sign, out _) == null)
                {
                    throw new FormatException("cannot combine histograms in " + item);
                }

                cur = next;
                values.Add(new SequenceValue(false, 0, cur));
            }

            return;
        }

        var x = item.LastIndexOf('x');
        if (x < 0)
        {
            values.Add(item == "_" ? new SequenceValue(true, 0, null) : new SequenceValue(false, Number(item), null));
            return;
        }

        var count = int.Parse(item[(x + 1)..], CultureInfo.InvariantCulture);
        var head = item[..x];
        if (head == "_")
        {
            for (var k = 0; k < count; k++)
            {
                values.Add(new SequenceValue(true, 0, null));
            }

            return;
        }

        var split = -1;
        for (var k = head.Length - 1; k > 0; k--)
        {
            if (head[k] is '+' or '-' && head[k - 1] is not ('e' or 'E'))
            {
                split = k;
                break;
            }
        }

        var b = split < 0 ? Number(head) : Number(head[..split]);
        var step = split < 0 ? 0 : Number(head[split..]);
        for (var k = 0; k <= count; k++)
        {
            values.Add(new SequenceValue(false, b, null));
            b += step;
        }
    }

    private static FloatHistogram ParseHistogram(string desc)
    {
        var h = new FloatHistogram();
        double[] pos = [], neg = [];
        int posOffset = 0, negOffset = 0;
        var i = 0;
        while (i < desc.Length)
        {
            while (i < desc.Length && char.IsWhiteSpace(desc[i]))
            {
                i++;
            }

            if (i >= desc.Length)
            {
                break;
            }

            var colon = desc.IndexOf(':', i);
            var key = desc[i..colon].Trim();
            i = colon + 1;
            string val;
            if (desc[i] == '[')
            {
                var close = desc.IndexOf(']', i);
                val = desc[(i + 1)..close];
                i = close + 1;
            }
            else
            {
                var s = i;
                while (i < desc.Length && !char.IsWhiteSpace(desc[i]))
                {
                    i++;
                }

                val = desc[s..i];
            }

            double[] Arr() => val.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Number).ToArray();
            switch (key)
            {
                case "schema": h.Schema = int.Parse(val, CultureInfo.InvariantCulture); break;
                case "sum": h.Sum = Number(val); break;
                case "count": h.Count = Number(val); break;
                case "z_bucket": h.ZeroCount = Number(val); break;
                case "z_bucket_w": h.ZeroThreshold = Number(val); break;
                case "buckets": pos = Arr(); break;
                case "n_buckets": neg = Arr(); break;
                case "offset": posOffset = int.Parse(val, CultureInfo.InvariantCulture); break;
                case "n_offset": negOffset = int.Parse(val, CultureInfo.InvariantCulture); break;
                case "custom_values": h.CustomValues = Arr(); break;
                case "counter_reset_hint":
                    h.CounterResetHint = val switch
                    {
                        "reset" => CounterResetHint.CounterReset,
                        "not_reset" => CounterResetHint.NotCounterReset,
                        "gauge" => CounterResetHint.Gauge,
                        _ => CounterResetHint.Unknown,
                    };
                    break;
                default: throw new FormatException("unknown histogram key " + key);
            }
        }

        h.PositiveBuckets = pos;
        h.NegativeBuckets = neg;
        h.PositiveSpans = pos.Length > 0 ? [new BucketSpan(posOffset, (uint)pos.Length)] : [];
        h.NegativeSpans = neg.Length > 0 ? [new BucketSpan(negOffset, (uint)neg.Length)] : [];
        return h;
    }
}
