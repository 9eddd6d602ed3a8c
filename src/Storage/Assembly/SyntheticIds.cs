using System.Buffers.Binary;

namespace TraceLink.Storage.Assembly;

/// <summary>
/// Stable ids for spans and traces that the sensor could not give one (docs/format/trace-groups.md):
/// a synthetic trace id is <c>"tlgrp" 00 00 01</c> followed by the big-endian span-log locator of the
/// trace's earliest span; a derived span id is a SplitMix64 mix of the span's locator.
/// </summary>
public static class SyntheticIds
{
    private const ulong Prefix = 0x746C_6772_7000_0001UL;

    /// <summary>The synthetic trace id of an eBPF-only trace whose earliest span has <paramref name="locator"/>.</summary>
    public static byte[] TraceIdFor(long locator)
    {
        var id = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(id, Prefix);
        BinaryPrimitives.WriteInt64BigEndian(id.AsSpan(8), locator);
        return id;
    }

    /// <summary>True when <paramref name="traceId"/> is synthetic; <paramref name="locator"/> is then the span it names.</summary>
    public static bool TryParseTraceId(ReadOnlySpan<byte> traceId, out long locator)
    {
        if (traceId.Length == 16 && BinaryPrimitives.ReadUInt64BigEndian(traceId) == Prefix)
        {
            locator = BinaryPrimitives.ReadInt64BigEndian(traceId[8..]);
            return true;
        }

        locator = 0;
        return false;
    }

    /// <summary>The span id given to a span stored without one: never zero, stable for the locator.</summary>
    public static ulong SpanIdFor(long locator)
    {
        // SplitMix64 finaliser: consecutive locators map to unrelated ids, so they do not look sequential in UIs.
        var z = unchecked((ulong)locator + 0x9E37_79B9_7F4A_7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL);
        z ^= z >> 31;
        return z == 0 ? 1 : z;
    }
}
