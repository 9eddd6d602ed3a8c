using System.Buffers.Binary;

namespace TraceLink.Storage.Spans;

/// <summary>
/// Span-log address ranges found torn or corrupt on open. They stay in the log file (FasterLog cannot cut its tail)
/// but are never served or replayed. Persisted as <c>dropped.bin</c> (docs/format/spanlog.md).
/// </summary>
internal sealed class DroppedRanges
{
    private static ReadOnlySpan<byte> Magic => "TLDR"u8;
    private const byte FormatVersion = 1;
    private readonly string _path;
    private (long From, long To)[] _ranges = [];

    private DroppedRanges(string path) => _path = path;

    public bool IsEmpty => _ranges.Length == 0;

    public static DroppedRanges Load(string path)
    {
        var result = new DroppedRanges(path);
        if (!File.Exists(path))
        {
            return result;
        }

        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 16 || !bytes.AsSpan(0, 4).SequenceEqual(Magic) || bytes[4] != FormatVersion)
        {
            return result;
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        int end = 12 + (count * 16);
        if (count < 0 || bytes.Length != end + 4 ||
            Crc32C.Compute(bytes.AsSpan(0, end)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(end)))
        {
            return result;
        }

        var ranges = new (long, long)[count];
        for (int i = 0; i < count; i++)
        {
            ranges[i] = (BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12 + (i * 16))), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(20 + (i * 16))));
        }

        result._ranges = ranges;
        return result;
    }

    /// <summary>Returns <paramref name="address"/>, or the end of the dropped range that contains it.</summary>
    public long Skip(long address)
    {
        foreach ((long from, long to) in _ranges)
        {
            if (address >= from && address < to)
            {
                return to;
            }
        }

        return address;
    }

    public bool Contains(long address) => _ranges.Length != 0 && Skip(address) != address;

    public void Add(long from, long to)
    {
        var ranges = new (long, long)[_ranges.Length + 1];
        _ranges.CopyTo(ranges, 0);
        ranges[^1] = (from, to);
        Array.Sort(ranges);
        _ranges = ranges;
        Save();
    }

    /// <summary>Forgets ranges that retention has removed from the log.</summary>
    public void TrimBelow(long beginAddress)
    {
        if (_ranges.Length == 0 || _ranges[0].To > beginAddress)
        {
            return;
        }

        _ranges = Array.FindAll(_ranges, r => r.To > beginAddress);
        Save();
    }

    private void Save()
    {
        int end = 12 + (_ranges.Length * 16);
        byte[] bytes = new byte[end + 4];
        Magic.CopyTo(bytes);
        bytes[4] = FormatVersion;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), _ranges.Length);
        for (int i = 0; i < _ranges.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(12 + (i * 16)), _ranges[i].From);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(20 + (i * 16)), _ranges[i].To);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(end), Crc32C.Compute(bytes.AsSpan(0, end)));
        AtomicFile.Write(_path, bytes);
    }
}
