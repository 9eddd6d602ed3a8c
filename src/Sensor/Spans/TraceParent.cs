namespace TraceLink.Sensor.Spans;

/// <summary>A parsed W3C <c>traceparent</c> header (version 00 layout; later versions are read the same way).</summary>
internal readonly struct TraceParent
{
    private TraceParent(byte[] traceId, byte[] parentId, bool sampled)
    {
        TraceId = traceId;
        ParentId = parentId;
        Sampled = sampled;
    }

    /// <summary>16-byte trace id.</summary>
    public byte[] TraceId { get; }

    /// <summary>8-byte id of the span that sent the request.</summary>
    public byte[] ParentId { get; }

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

        var traceId = new byte[16];
        var parentId = new byte[8];
        if (!TryHex(text[3..35], traceId) || !TryHex(text[36..52], parentId) || !TryHex(text[53..55], stackalloc byte[1]))
        {
            return false;
        }

        if (!traceId.AsSpan().ContainsAnyExcept((byte)0) || !parentId.AsSpan().ContainsAnyExcept((byte)0))
        {
            return false;
        }

        int flags = Convert.ToInt32(text[53..55].ToString(), 16);
        result = new TraceParent(traceId, parentId, (flags & 1) != 0);
        return true;
    }

    private static bool TryHex(ReadOnlySpan<char> hex, Span<byte> destination)
    {
        foreach (char c in hex)
        {
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false; // W3C requires lower-case hex
            }
        }

        return Convert.FromHexString(hex, destination, out _, out int written) == System.Buffers.OperationStatus.Done
            && written == destination.Length;
    }
}
