using System.Buffers.Binary;
using System.Numerics;

namespace TraceLink.Storage.Spans;

/// <summary>
/// CRC-32C (Castagnoli). System.IO.Hashing only offers the IEEE polynomial; <see cref="BitOperations.Crc32C(uint, ulong)"/>
/// uses the SSE4.2/ARMv8 instruction where present.
/// </summary>
internal static class Crc32C
{
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    /// <summary>Standard CRC-32C of <paramref name="data"/> (initial value and final xor 0xFFFFFFFF).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(uint.MaxValue, data);
}
