using System.Buffers.Binary;
using System.Text;

using TraceLink.Protocol.Spans;

namespace TraceLink.Storage.Spans;

/// <summary>
/// Bounded catalog of attribute names per scope and their string values, plus the range of span start times seen.
/// Saved as <c>catalog.bin</c> at every index checkpoint (same cut as the checkpoint's WAL cookie) and brought up to
/// date by WAL replay on open. Adding is idempotent, so replaying records it already holds is harmless.
/// </summary>
internal sealed class TagCatalog
{
    public const string ResourceScope = "resource";
    public const string SpanScope = "span";
    private static ReadOnlySpan<byte> Magic => "TLTC"u8;
    private const byte FormatVersion = 1;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<string>> _resource = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _span = new(StringComparer.Ordinal);
    private readonly int _maxNames;
    private readonly int _maxValues;
    private readonly int _maxValueLength;
    private long _minStart = long.MaxValue;
    private long _maxStart = long.MinValue;

    public TagCatalog(SpanStoreOptions options)
    {
        _maxNames = options.MaxTagNames;
        _maxValues = options.MaxTagValuesPerName;
        _maxValueLength = options.MaxTagValueLength;
    }

    public long MinStart => Volatile.Read(ref _minStart);

    public long MaxStart => Volatile.Read(ref _maxStart);

    /// <summary>Adds the attributes of an encoded <c>Resource</c>.</summary>
    public void AddResource(ReadOnlySpan<byte> resource)
    {
        lock (_lock)
        {
            AddAll(_resource, WireAttributeReader.OfResource(resource));
        }
    }

    /// <summary>Adds the attributes of an encoded <c>Span</c> and its start time.</summary>
    public void AddSpan(ReadOnlySpan<byte> span, long startUnixNano)
    {
        lock (_lock)
        {
            AddAll(_span, WireAttributeReader.OfSpan(span));
            if (startUnixNano < _minStart)
            {
                Volatile.Write(ref _minStart, startUnixNano);
            }

            if (startUnixNano > _maxStart)
            {
                Volatile.Write(ref _maxStart, startUnixNano);
            }
        }
    }

    /// <summary>Raises the oldest start time after retention removed older spans.</summary>
    public void RaiseMinStart(long cutoff)
    {
        lock (_lock)
        {
            if (_minStart < cutoff)
            {
                Volatile.Write(ref _minStart, Math.Min(cutoff, _maxStart));
            }
        }
    }

    public IReadOnlyDictionary<string, IReadOnlyCollection<string>> Names()
    {
        lock (_lock)
        {
            return new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal)
            {
                [ResourceScope] = [.. _resource.Keys],
                [SpanScope] = [.. _span.Keys],
            };
        }
    }

    public IReadOnlyCollection<string> Values(string scope, string name)
    {
        Dictionary<string, HashSet<string>>? map = scope switch
        {
            ResourceScope => _resource,
            SpanScope => _span,
            _ => null,
        };
        if (map is null)
        {
            return [];
        }

        lock (_lock)
        {
            return map.TryGetValue(name, out HashSet<string>? values) ? [.. values] : [];
        }
    }

    public byte[] Serialize()
    {
        lock (_lock)
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(FormatVersion);
                writer.Write((byte)0);
                writer.Write((ushort)0);
                writer.Write(_minStart);
                writer.Write(_maxStart);
                WriteScope(writer, _resource);
                WriteScope(writer, _span);
            }

            uint crc = Crc32C.Compute(stream.GetBuffer().AsSpan(0, (int)stream.Length));
            Span<byte> crcBytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(crcBytes, crc);
            stream.Write(crcBytes);
            return stream.ToArray();
        }
    }

    /// <summary>Loads a saved catalog; false (and nothing loaded) when the file is missing or damaged.</summary>
    public bool TryLoad(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 28 || !bytes.AsSpan(0, 4).SequenceEqual(Magic) || bytes[4] != FormatVersion ||
            Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)))
        {
            return false;
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, 8, bytes.Length - 12), Encoding.UTF8);
            lock (_lock)
            {
                _minStart = reader.ReadInt64();
                _maxStart = reader.ReadInt64();
                ReadScope(reader, _resource);
                ReadScope(reader, _span);
            }

            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    private static void WriteScope(BinaryWriter writer, Dictionary<string, HashSet<string>> map)
    {
        writer.Write(map.Count);
        foreach ((string name, HashSet<string> values) in map)
        {
            writer.Write(name);
            writer.Write(values.Count);
            foreach (string value in values)
            {
                writer.Write(value);
            }
        }
    }

    private static void ReadScope(BinaryReader reader, Dictionary<string, HashSet<string>> map)
    {
        int names = reader.ReadInt32();
        for (int i = 0; i < names; i++)
        {
            string name = reader.ReadString();
            int count = reader.ReadInt32();
            var values = new HashSet<string>(count, StringComparer.Ordinal);
            for (int j = 0; j < count; j++)
            {
                values.Add(reader.ReadString());
            }

            map[name] = values;
        }
    }

    private void AddAll(Dictionary<string, HashSet<string>> map, WireAttributeReader attributes)
    {
        // Names and values repeat across spans: look them up as chars and allocate a string only for a new one.
        Dictionary<string, HashSet<string>>.AlternateLookup<ReadOnlySpan<char>> names = map.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> chars = stackalloc char[128];
        foreach (WireKeyValue attribute in attributes)
        {
            char[]? rented = null;
            ReadOnlySpan<char> name = Decode(attribute.Key, chars, ref rented);
            if (!names.TryGetValue(name, out HashSet<string>? values))
            {
                if (map.Count >= _maxNames)
                {
                    Return(ref rented);
                    continue;
                }

                values = new HashSet<string>(StringComparer.Ordinal);
                map[name.ToString()] = values;
            }

            Return(ref rented);
            if (attribute.Kind == WireValueKind.String && values.Count < _maxValues && attribute.Bytes.Length / 3 <= _maxValueLength)
            {
                ReadOnlySpan<char> text = Decode(attribute.Bytes, chars, ref rented);
                if (text.Length <= _maxValueLength)
                {
                    HashSet<string>.AlternateLookup<ReadOnlySpan<char>> known = values.GetAlternateLookup<ReadOnlySpan<char>>();
                    if (!known.Contains(text))
                    {
                        values.Add(text.ToString());
                    }
                }

                Return(ref rented);
            }
        }
    }

    private static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8, Span<char> stack, ref char[]? rented)
    {
        Span<char> destination = stack;
        if (utf8.Length > stack.Length)
        {
            rented = System.Buffers.ArrayPool<char>.Shared.Rent(utf8.Length);
            destination = rented;
        }

        return destination[..Encoding.UTF8.GetChars(utf8, destination)];
    }

    private static void Return(ref char[]? rented)
    {
        if (rented is not null)
        {
            System.Buffers.ArrayPool<char>.Shared.Return(rented);
            rented = null;
        }
    }
}
