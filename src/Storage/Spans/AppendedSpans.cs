using System.Buffers;

using Google.Protobuf;

namespace TraceLink.Storage.Spans;

/// <summary>
/// Consecutive spans in span-log order as the store hands them to an <see cref="ISpanIndexObserver"/>: each span's
/// locator, its resource's locator, and the encoded <c>Resource</c> and <c>Span</c> messages. The bytes are valid
/// only during the observer call (they point into ingest request buffers or replay scratch space).
/// </summary>
public sealed class AppendedSpans
{
    private const int ArenaChunk = 1 << 20;
    private Entry[] _entries = new Entry[256];
    private int _count;
    private int _first;
    private readonly List<byte[]> _chunks = [];
    private int _chunkUsed = ArenaChunk;

    /// <summary>Number of spans.</summary>
    public int Count => _count - _first;

    /// <summary>Span-log address of span <paramref name="index"/> (its locator).</summary>
    public long Locator(int index) => _entries[_first + index].Locator;

    /// <summary>Span-log address of the resource record span <paramref name="index"/> was ingested under (stable cache key).</summary>
    public long ResourceLocator(int index) => _entries[_first + index].ResourceLocator;

    /// <summary>The encoded <c>Resource</c> of span <paramref name="index"/> (empty when it had none).</summary>
    public ReadOnlySpan<byte> Resource(int index) => _entries[_first + index].Resource.Span;

    /// <summary>The encoded <c>Span</c> message of span <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Span(int index) => _entries[_first + index].Span.Span;

    /// <summary>Encodes stored spans into a batch (for callers that hold decoded spans, such as tests and tools).</summary>
    public static AppendedSpans From(IEnumerable<StoredSpan> spans)
    {
        ArgumentNullException.ThrowIfNull(spans);
        var batch = new AppendedSpans();
        foreach (StoredSpan span in spans)
        {
            batch.Add(span.Locator, span.Locator, span.Resource.ToByteArray(), span.Span.ToByteArray());
        }

        return batch;
    }

    internal void Add(long locator, long resourceLocator, ReadOnlyMemory<byte> resource, ReadOnlyMemory<byte> span)
    {
        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, _count * 2);
        }

        _entries[_count++] = new Entry(locator, resourceLocator, resource, span);
    }

    /// <summary>Adds a span whose bytes live in a transient buffer: they are copied into scratch space kept until <see cref="Clear"/>.</summary>
    internal void AddCopy(long locator, long resourceLocator, ReadOnlyMemory<byte> resource, ReadOnlySpan<byte> span) =>
        Add(locator, resourceLocator, resource, Copy(span));

    /// <summary>Hides the first <paramref name="first"/> spans (an observer that has them already); 0 shows all.</summary>
    internal void Window(int first) => _first = first;

    internal void Clear()
    {
        Array.Clear(_entries, 0, _count);
        _count = 0;
        _first = 0;
        foreach (byte[] chunk in _chunks)
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        _chunks.Clear();
        _chunkUsed = ArenaChunk;
    }

    private ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > ArenaChunk / 4)
        {
            return bytes.ToArray();
        }

        if (_chunkUsed + bytes.Length > ArenaChunk)
        {
            _chunks.Add(ArrayPool<byte>.Shared.Rent(ArenaChunk));
            _chunkUsed = 0;
        }

        byte[] chunk = _chunks[^1];
        bytes.CopyTo(chunk.AsSpan(_chunkUsed));
        var memory = new ReadOnlyMemory<byte>(chunk, _chunkUsed, bytes.Length);
        _chunkUsed += bytes.Length;
        return memory;
    }

    private readonly record struct Entry(long Locator, long ResourceLocator, ReadOnlyMemory<byte> Resource, ReadOnlyMemory<byte> Span);
}
