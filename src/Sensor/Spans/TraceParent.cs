using System.Buffers;
using System.Buffers.Binary;

namespace TraceLink.Sensor.Spans;

/// <summary>A parsed W3C <c>traceparent</c> header (version 00 layout; later versions are read the same way).</summary>
internal readonly struct TraceParent
{
    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

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

        if (text[3..35].ContainsAnyExcept(LowerHex) || text[36..52].ContainsAnyExcept(LowerHex) || text[53..55].ContainsAnyExcept(LowerHex))
        {
            return false; // W3C requires lower-case hex
        }

        Span<byte> bytes = stackalloc byte[16];
        Convert.FromHexString(text[3..35], bytes, out _, out _);
        var traceId = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        Convert.FromHexString(text[36..52], bytes, out _, out _);
        ulong parentId = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        if (traceId == 0 || parentId == 0)
        {
            return false;
        }

        Convert.FromHexString(text[53..55], bytes, out _, out _);
        int flags = bytes[0];
        result = new TraceParent(traceId, parentId, (flags & 1) != 0);
        return true;
    }
}
