using System.Globalization;
using System.Text.Json;

using TraceLink.Query.PromQL.Common;
using TraceLink.Query.PromQL.Engine;
using TraceLink.Query.PromQL.Parser;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Api;

/// <summary>Writes Prometheus's exact JSON shapes (floats as strings, timestamps as seconds with ms precision).</summary>
internal static class ApiJson
{
    private const int MaxTimestampBytes = 24;

    public static void WriteTimestamp(Utf8JsonWriter w, long ms)
    {
        Span<byte> text = stackalloc byte[MaxTimestampBytes];
        w.WriteRawValue(text[..FormatTimestamp(ms, text)], skipInputValidation: true);
    }

    public static void WriteFloat(Utf8JsonWriter w, double f)
    {
        Span<char> text = stackalloc char[GoFloat.MaxJsonChars];
        w.WriteStringValue(text[..GoFloat.FormatJson(f, text)]);
    }

    public static void WriteLabels(Utf8JsonWriter w, IReadOnlyList<Label> labels)
    {
        w.WriteStartObject();
        foreach (var l in labels)
        {
            w.WriteString(l.Name, l.Value);
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// Writes <c>[seconds,"value"]</c> as one raw value: a matrix holds one per step and series, and one call instead of
    /// four (array, timestamp, string, end) halves the cost of writing it.
    /// </summary>
    private static void WritePoint(Utf8JsonWriter w, long t, double f)
    {
        Span<byte> text = stackalloc byte[MaxTimestampBytes + GoFloat.MaxJsonChars + 5];
        text[0] = (byte)'[';
        int pos = 1 + FormatTimestamp(t, text[1..]);
        text[pos++] = (byte)',';
        text[pos++] = (byte)'"';
        Span<char> value = stackalloc char[GoFloat.MaxJsonChars];
        foreach (char c in value[..GoFloat.FormatJson(f, value)])
        {
            text[pos++] = (byte)c; // ASCII: digits, sign, '.', 'e', NaN, Inf
        }

        text[pos++] = (byte)'"';
        text[pos++] = (byte)']';
        w.WriteRawValue(text[..pos], skipInputValidation: true);
    }

    /// <summary>Seconds with up to three decimals, as Prometheus writes them, formatted in place; returns the length.</summary>
    private static int FormatTimestamp(long ms, Span<byte> text)
    {
        int pos = 0;
        if (ms < 0)
        {
            text[pos++] = (byte)'-';
        }

        ulong abs = ms < 0 ? (ulong)-(ms + 1) + 1 : (ulong)ms;
        (abs / 1000).TryFormat(text[pos..], out int written, default, CultureInfo.InvariantCulture);
        pos += written;
        ulong fraction = abs % 1000;
        if (fraction != 0)
        {
            text[pos++] = (byte)'.';
            fraction.TryFormat(text[pos..], out written, "D3", CultureInfo.InvariantCulture);
            pos += written;
        }

        return pos;
    }

    private static void WriteHistogramPoint(Utf8JsonWriter w, long t, FloatHistogram h)
    {
        w.WriteStartArray();
        WriteTimestamp(w, t);
        WriteHistogram(w, h);
        w.WriteEndArray();
    }

    public static void WriteHistogram(Utf8JsonWriter w, FloatHistogram h)
    {
        w.WriteStartObject();
        w.WritePropertyName("count");
        WriteFloat(w, h.Count);
        w.WritePropertyName("sum");
        WriteFloat(w, h.Sum);
        var buckets = HistogramMath.AllBuckets(h, clipToZeroBucket: true);
        var any = false;
        foreach (var b in buckets)
        {
            if (b.Count == 0)
            {
                continue;
            }

            if (!any)
            {
                w.WriteStartArray("buckets");
                any = true;
            }

            w.WriteStartArray();
            var rule = b.IsZero ? 3 : b.Upper <= 0 && !HistogramMath.UsesCustomBuckets(h) ? 1 : 0;
            w.WriteNumberValue(rule);
            WriteFloat(w, b.Lower);
            WriteFloat(w, b.Upper);
            WriteFloat(w, b.Count);
            w.WriteEndArray();
        }

        if (any)
        {
            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    public static void WriteResult(Utf8JsonWriter w, QueryResult r)
    {
        w.WriteStartObject();
        switch (r.Type)
        {
            case PromValueType.Scalar:
                w.WriteString("resultType", "scalar");
                w.WritePropertyName("result");
                WritePoint(w, r.TimeMs, r.Scalar);
                break;
            case PromValueType.String:
                w.WriteString("resultType", "string");
                w.WritePropertyName("result");
                w.WriteStartArray();
                WriteTimestamp(w, r.TimeMs);
                w.WriteStringValue(r.String);
                w.WriteEndArray();
                break;
            case PromValueType.Vector:
                w.WriteString("resultType", "vector");
                w.WriteStartArray("result");
                foreach (var s in r.Series)
                {
                    w.WriteStartObject();
                    w.WritePropertyName("metric");
                    WriteLabels(w, s.Metric);
                    if (s.Histograms.Count > 0)
                    {
                        w.WritePropertyName("histogram");
                        WriteHistogramPoint(w, r.TimeMs, s.Histograms[0].H);
                    }
                    else
                    {
                        w.WritePropertyName("value");
                        WritePoint(w, r.TimeMs, s.Floats[0].F);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            default:
                w.WriteString("resultType", "matrix");
                w.WriteStartArray("result");
                foreach (var s in r.Series)
                {
                    w.WriteStartObject();
                    w.WritePropertyName("metric");
                    WriteLabels(w, s.Metric);
                    if (s.Floats.Count > 0)
                    {
                        w.WriteStartArray("values");
                        foreach (var p in s.Floats)
                        {
                            WritePoint(w, p.T, p.F);
                        }

                        w.WriteEndArray();
                    }

                    if (s.Histograms.Count > 0)
                    {
                        w.WriteStartArray("histograms");
                        foreach (var p in s.Histograms)
                        {
                            WriteHistogramPoint(w, p.T, p.H);
                        }

                        w.WriteEndArray();
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
        }

        w.WriteEndObject();
    }

    public static void WriteAnnotations(Utf8JsonWriter w, string name, IReadOnlyList<string> items)
    {
        if (items.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        for (var i = 0; i < items.Count && i < 10; i++)
        {
            w.WriteStringValue(items[i]);
        }

        if (items.Count > 10)
        {
            w.WriteStringValue($"{items.Count - 10} more {(name == "warnings" ? "warning" : "info")} annotations omitted");
        }

        w.WriteEndArray();
    }
}
