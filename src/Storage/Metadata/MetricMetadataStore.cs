using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace TraceLink.Storage.Metadata;

/// <summary>
/// Metric family metadata (type, help, unit) keyed by family name, kept in memory and rewritten atomically to one
/// file whenever <see cref="Flush"/> finds a change (layout in docs/format/metric-metadata.md).
/// </summary>
/// <remarks>
/// Each family keeps up to <see cref="MaxEntriesPerMetric"/> distinct entries, oldest dropped first, because several
/// senders may disagree on the help text just as several scrape targets do in Prometheus. Changes are rare (senders
/// repeat the same metadata every minute), so rewriting the whole file is cheaper than a log would be.
/// </remarks>
public sealed class MetricMetadataStore : IDisposable
{
    /// <summary>File name inside the store directory.</summary>
    public const string FileName = "metadata.bin";

    /// <summary>Distinct entries kept per metric family.</summary>
    public const int MaxEntriesPerMetric = 10;

    private const byte Version = 1;
    private static readonly byte[] Magic = "TLMM"u8.ToArray();

    private readonly string? _directory;
    private readonly Lock _gate = new();
    private readonly Lock _fileGate = new();
    private readonly Dictionary<string, List<MetricMetadata>> _families = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<MetricMetadata>>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private long _version;
    private long _persistedVersion;

    private MetricMetadataStore(string? directory)
    {
        _directory = directory;
        _lookup = _families.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Opens (creating if needed) the store in <paramref name="directory"/>, loading the last flushed state.</summary>
    public static MetricMetadataStore Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var store = new MetricMetadataStore(directory);
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            if (!store.TryLoad(bytes))
            {
                // Metadata is advisory and senders resend it every minute: keep the bad file for inspection, start empty.
                File.Move(path, path + ".corrupt", overwrite: true);
            }
        }

        return store;
    }

    /// <summary>Creates a store that never touches disk (tests, benchmarks).</summary>
    public static MetricMetadataStore InMemory() => new(null);

    /// <summary>Number of metric families known.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _families.Count;
            }
        }
    }

    /// <summary>Records <paramref name="metadata"/> for <paramref name="metric"/>; returns true when it was not known yet.</summary>
    public bool Set(string metric, MetricMetadata metadata) => Set(metric.AsSpan(), metadata);

    /// <summary>Records <paramref name="metadata"/> for <paramref name="metric"/>; allocates only when the entry is new.</summary>
    public bool Set(ReadOnlySpan<char> metric, MetricMetadata metadata)
    {
        if (metric.IsEmpty)
        {
            return false;
        }

        lock (_gate)
        {
            if (!_lookup.TryGetValue(metric, out var entries))
            {
                entries = new List<MetricMetadata>(1);
                _lookup[metric] = entries;
            }
            else
            {
                foreach (var e in entries)
                {
                    if (e.Type == metadata.Type && string.Equals(e.Help, metadata.Help, StringComparison.Ordinal) && string.Equals(e.Unit, metadata.Unit, StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                if (entries.Count >= MaxEntriesPerMetric)
                {
                    entries.RemoveAt(0);
                }
            }

            entries.Add(metadata);
            _version++;
            return true;
        }
    }

    /// <summary>
    /// Answers <c>/api/v1/metadata</c>: families sorted by name, at most <paramref name="limit"/> families (negative: all)
    /// and <paramref name="limitPerMetric"/> entries each (zero or negative: all), only <paramref name="metric"/> when given.
    /// </summary>
    public List<KeyValuePair<string, MetricMetadata[]>> Query(int limit = -1, int limitPerMetric = -1, string? metric = null)
    {
        var result = new List<KeyValuePair<string, MetricMetadata[]>>();
        lock (_gate)
        {
            if (!string.IsNullOrEmpty(metric))
            {
                if (limit != 0 && _families.TryGetValue(metric, out var one))
                {
                    result.Add(new(metric, Take(one, limitPerMetric)));
                }

                return result;
            }

            foreach (var (name, entries) in _families)
            {
                result.Add(new(name, Take(entries, limitPerMetric)));
            }
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        if (limit >= 0 && result.Count > limit)
        {
            result.RemoveRange(limit, result.Count - limit);
        }

        return result;
    }

    /// <summary>Writes the current state to disk (temp file, fsync, rename) if anything changed since the last flush.</summary>
    public void Flush()
    {
        if (_directory is null)
        {
            return;
        }

        lock (_fileGate)
        {
            byte[] bytes;
            int length;
            long version;
            lock (_gate)
            {
                version = _version;
                if (version == _persistedVersion)
                {
                    return;
                }

                (bytes, length) = Serialize();
            }

            try
            {
                var path = Path.Combine(_directory, FileName);
                var temp = path + ".tmp";
                using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    file.Write(bytes, 0, length);
                    file.Flush(flushToDisk: true);
                }

                File.Move(temp, path, overwrite: true);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }

            lock (_gate)
            {
                _persistedVersion = version;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => Flush();

    private static MetricMetadata[] Take(List<MetricMetadata> entries, int limitPerMetric)
    {
        var n = limitPerMetric > 0 ? Math.Min(limitPerMetric, entries.Count) : entries.Count;
        var r = new MetricMetadata[n];
        entries.CopyTo(0, r, 0, n);
        return r;
    }

    private (byte[] Buffer, int Length) Serialize()
    {
        var size = Magic.Length + 1 + 5 + 4;
        foreach (var (name, entries) in _families)
        {
            foreach (var e in entries)
            {
                size += 15 + 1 + Encoding.UTF8.GetMaxByteCount(name.Length) + Encoding.UTF8.GetMaxByteCount(e.Help.Length) + Encoding.UTF8.GetMaxByteCount(e.Unit.Length);
            }
        }

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        var pos = Magic.Length;
        span[pos++] = Version;
        var count = 0;
        foreach (var entries in _families.Values)
        {
            count += entries.Count;
        }

        pos += WriteUVarint(span[pos..], (uint)count);
        foreach (var (name, entries) in _families)
        {
            foreach (var e in entries)
            {
                pos += WriteString(span[pos..], name);
                span[pos++] = (byte)e.Type;
                pos += WriteString(span[pos..], e.Help);
                pos += WriteString(span[pos..], e.Unit);
            }
        }

        BinaryPrimitives.WriteUInt32BigEndian(span[pos..], Tsdb.Crc32C.Compute(span[..pos]));
        return (buffer, pos + 4);
    }

    private bool TryLoad(ReadOnlySpan<byte> data)
    {
        if (data.Length < Magic.Length + 1 + 1 + 4 || !data[..Magic.Length].SequenceEqual(Magic) || data[Magic.Length] != Version)
        {
            return false;
        }

        var body = data[..^4];
        if (BinaryPrimitives.ReadUInt32BigEndian(data[^4..]) != Tsdb.Crc32C.Compute(body))
        {
            return false;
        }

        var pos = Magic.Length + 1;
        if (!TryReadUVarint(body, ref pos, out var count))
        {
            return false;
        }

        for (uint i = 0; i < count; i++)
        {
            if (!TryReadString(body, ref pos, out var name) || pos >= body.Length)
            {
                return false;
            }

            var type = (MetricType)body[pos++];
            if (!TryReadString(body, ref pos, out var help) || !TryReadString(body, ref pos, out var unit))
            {
                return false;
            }

            Set(name, new MetricMetadata(type, help, unit));
        }

        _persistedVersion = _version;
        return pos == body.Length;
    }

    private static int WriteString(Span<byte> span, string s)
    {
        var n = Encoding.UTF8.GetByteCount(s);
        var header = WriteUVarint(span, (uint)n);
        Encoding.UTF8.GetBytes(s, span[header..]);
        return header + n;
    }

    private static bool TryReadString(ReadOnlySpan<byte> data, ref int pos, out string value)
    {
        value = string.Empty;
        if (!TryReadUVarint(data, ref pos, out var n) || n > (uint)(data.Length - pos))
        {
            return false;
        }

        value = Encoding.UTF8.GetString(data.Slice(pos, (int)n));
        pos += (int)n;
        return true;
    }

    private static int WriteUVarint(Span<byte> span, uint value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        return i;
    }

    private static bool TryReadUVarint(ReadOnlySpan<byte> data, ref int pos, out uint value)
    {
        value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (pos >= data.Length)
            {
                return false;
            }

            var b = data[pos++];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
