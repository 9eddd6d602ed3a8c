using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace TraceLink.Protocol.Spans;

/// <summary>One OTLP <c>KeyValue</c> read in place: the key's UTF-8 bytes and the scalar (or encoded nested) value.</summary>
public readonly ref struct WireKeyValue
{
    private static readonly string[] SmallIntegers = CreateSmallIntegers();

    internal WireKeyValue(ReadOnlySpan<byte> key, WireValueKind kind, ReadOnlySpan<byte> bytes, long number, double real)
    {
        Key = key;
        Kind = kind;
        Bytes = bytes;
        Int = number;
        Double = real;
    }

    /// <summary>The key, UTF-8.</summary>
    public ReadOnlySpan<byte> Key { get; }

    /// <summary>Which value is set.</summary>
    public WireValueKind Kind { get; }

    /// <summary>UTF-8 of a string value, the bytes of a bytes value, or the encoded message of an array or key-value list.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>An int value (also 1/0 for a bool value).</summary>
    public long Int { get; }

    /// <summary>A double value.</summary>
    public double Double { get; }

    /// <summary>True when the value is a string equal to <paramref name="utf8"/>.</summary>
    public bool StringEquals(ReadOnlySpan<byte> utf8) => Kind == WireValueKind.String && Bytes.SequenceEqual(utf8);

    /// <summary>A string value decoded (allocates); empty for any other kind.</summary>
    public string StringValue() => Kind == WireValueKind.String ? Encoding.UTF8.GetString(Bytes) : string.Empty;

    /// <summary>An integer read from an int, a decimal string or a (truncated) double value.</summary>
    public bool TryGetInt64(out long value)
    {
        switch (Kind)
        {
            case WireValueKind.Int:
                value = Int;
                return true;
            case WireValueKind.String:
                // Same acceptance as long.TryParse(Integer style, invariant): optional sign, surrounding white space.
                ReadOnlySpan<byte> text = Bytes.Trim(" \t\n\v\f\r"u8);
                if (Utf8Parser.TryParse(text, out value, out int consumed) && consumed == text.Length && (text.Length == 0 || text[0] != (byte)'+'))
                {
                    return true;
                }

                return long.TryParse(Encoding.UTF8.GetString(Bytes), NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
            case WireValueKind.Double:
                value = (long)Double;
                return true;
            default:
                value = 0;
                return false;
        }
    }

    /// <summary>Renders a scalar value the way the collector's Prometheus translation does; false for arrays, lists and none.</summary>
    public bool TryRender(out string value)
    {
        switch (Kind)
        {
            case WireValueKind.String:
                value = Encoding.UTF8.GetString(Bytes);
                return true;
            case WireValueKind.Int:
                value = Int is >= 0 and < 1000 ? SmallIntegers[Int] : Int.ToString(CultureInfo.InvariantCulture);
                return true;
            case WireValueKind.Bool:
                value = Int != 0 ? "true" : "false";
                return true;
            case WireValueKind.Double:
                value = Double.ToString("R", CultureInfo.InvariantCulture);
                return true;
            case WireValueKind.Bytes:
                value = Convert.ToBase64String(Bytes);
                return true;
            default:
                value = string.Empty;
                return false;
        }
    }

    private static string[] CreateSmallIntegers()
    {
        var values = new string[1000];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = i.ToString(CultureInfo.InvariantCulture);
        }

        return values;
    }
}
