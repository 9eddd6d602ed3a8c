using System.Globalization;

namespace TraceLink.Sensor.Spans;

/// <summary>A parsed W3C <c>traceparent</c> header (version 00 layout; later versions are read the same way).</summary>
internal readonly struct TraceParent
{
    private TraceParent(UInt128 traceId, ulong parentId, bool sampled)
    {
        TraceId = traceId;
        ParentId = parentId;
        Sampled = sampled;
    }

    /// <summary>The 16-byte trace id as a big-endian number (its hex form is the header's).</summary>
    public UInt128 TraceId { get; }

    /// <summary>The 8-byte id of the span that sent the request, as a big-endian number.</summary>
    public ulong ParentId { get; }

    /// <summary>The sampled flag.</summary>
    public bool Sampled { get; }

    /// <summary>Parses <c>00-{32 hex}-{16 hex}-{2 hex}</c>; all-zero ids and version ff are invalid.</summary>
    public static bool TryParse(string? value, out TraceParent result)
    {
        result = default;
        if (value is null)
        {
            return false;
        }

        var text = value.AsSpan().Trim();
        if (text.Length < 55 || text[2] != '-' || text[35] != '-' || text[52] != '-' || (text.Length > 55 && text[55] != '-'))
        {
            return false;
        }

        if (text[..2].Equals("ff", StringComparison.OrdinalIgnoreCase) || (text[..2].SequenceEqual("00") && text.Length != 55))
        {
            return false;
        }

        if (!IsLowerHex(text[3..35]) || !IsLowerHex(text[36..52]) || !IsLowerHex(text[53..55]))
        {
            return false; // W3C requires lower-case hex
        }

        var traceId = UInt128.Parse(text[3..35], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        ulong parentId = ulong.Parse(text[36..52], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        if (traceId == 0 || parentId == 0)
        {
            return false;
        }

        int flags = byte.Parse(text[53..55], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        result = new TraceParent(traceId, parentId, (flags & 1) != 0);
        return true;
    }

    private static bool IsLowerHex(ReadOnlySpan<char> hex)
    {
        foreach (char c in hex)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
