using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

using Microsoft.Win32.SafeHandles;

using TraceLink.Storage.Tsdb;

namespace TraceLink.Storage.Logs;

/// <summary>
/// Durable store of derived log lines: append-only segment files of CRC-framed records
/// (docs/format/logs.md) with an in-memory index by stream, time and trace id rebuilt on open.
/// Thread-safe. A torn or corrupt tail found on open is cut off and reported in <see cref="TruncatedBytes"/>.
/// </summary>
public sealed class LogStore : IDisposable
{
    private const int ChunkSize = 512;
    private const int SegmentShift = 40;
    private const long OffsetMask = (1L << SegmentShift) - 1;

    private readonly LogStoreOptions _options;
    private readonly Lock _gate = new();
    private readonly List<Segment> _segments = [];
    private readonly Dictionary<string, StreamIndex> _streamsByKey = new(StringComparer.Ordinal);
    private readonly List<StreamIndex> _streams = [];
    private readonly Dictionary<UInt128, List<long>> _traces = [];
    private long _firstLocator;
    private bool _disposed;

    private LogStore(LogStoreOptions options) => _options = options;

    /// <summary>Bytes cut off segment tails on open because a record was torn or failed its checksum.</summary>
    public long TruncatedBytes { get; private set; }

    /// <summary>Number of log lines currently indexed.</summary>
    public long EntryCount { get; private set; }

    /// <summary>Opens (or creates) the store in <see cref="LogStoreOptions.Directory"/> and rebuilds the index.</summary>
    public static LogStore Open(LogStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.SegmentBytes < 4096)
        {
            throw new ArgumentException($"log segment size must be at least 4096 bytes, got {options.SegmentBytes}");
        }

        Directory.CreateDirectory(options.Directory);
        var store = new LogStore(options);
        try
        {
            store.Recover();
        }
        catch
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    /// <summary>The stream with these labels (any order), creating and persisting it when new.</summary>
    public LogStreamInfo GetOrAddStream(IReadOnlyList<Label> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var sorted = labels.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var key = RenderKey(sorted);
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_streamsByKey.TryGetValue(key, out var existing))
            {
                return existing.Stream;
            }

            var stream = new LogStreamInfo(_streams.Count, sorted, key);
            var buffer = new byte[LogSegmentFormat.FrameSize + LogSegmentFormat.StreamPayloadSize(sorted)];
            var length = LogSegmentFormat.WriteStream(buffer.AsSpan(LogSegmentFormat.FrameSize), stream.Id, sorted);
            LogSegmentFormat.WriteFrame(buffer, length);
            WriteLocked(buffer, out _);
            AddStream(stream);
            return stream;
        }
    }

    /// <summary>
    /// Appends the records in order. When it completes they are written (and fsynced with
    /// <see cref="LogStoreOptions.SyncEveryAppend"/>) and visible to queries.
    /// </summary>
    public ValueTask AppendAsync(IReadOnlyList<LogRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        var size = 0;
        for (var i = 0; i < records.Count; i++)
        {
            var payload = LogSegmentFormat.EntryPayloadSize(records[i].Line);
            if (payload > LogSegmentFormat.MaxPayload)
            {
                throw new ArgumentException($"log line of {payload} bytes exceeds the {LogSegmentFormat.MaxPayload} byte limit");
            }

            size += LogSegmentFormat.FrameSize + payload;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var offsets = ArrayPool<int>.Shared.Rent(records.Count);
            try
            {
                var position = 0;
                for (var i = 0; i < records.Count; i++)
                {
                    var record = records[i];
                    offsets[i] = position;
                    var length = LogSegmentFormat.WriteEntry(
                        buffer.AsSpan(position + LogSegmentFormat.FrameSize), record.Stream.Id, record.TimestampNs, record.TraceId.Span, record.SpanId.Span, record.Line);
                    LogSegmentFormat.WriteFrame(buffer.AsSpan(position), length);
                    position += LogSegmentFormat.FrameSize + length;
                }

                lock (_gate)
                {
                    ThrowIfDisposed();
                    // A batch never straddles segments: roll first when it would not fit.
                    WriteLocked(buffer.AsSpan(0, position), out var start);
                    for (var i = 0; i < records.Count; i++)
                    {
                        var record = records[i];
                        IndexEntry(record.Stream.Id, record.TimestampNs, record.TraceId.Span, start + offsets[i]);
                    }

                    if (_options.SyncEveryAppend)
                    {
                        RandomAccess.FlushToDisk(_segments[^1].Handle);
                    }
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(offsets);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Forces everything written so far to disk.</summary>
    public void Sync()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            RandomAccess.FlushToDisk(_segments[^1].Handle);
        }
    }

    /// <summary>Streams whose labels satisfy every matcher (all streams when there are none).</summary>
    public IReadOnlyList<LogStreamInfo> MatchStreams(IReadOnlyList<LabelMatcher> matchers)
    {
        ArgumentNullException.ThrowIfNull(matchers);
        var result = new List<LogStreamInfo>();
        lock (_gate)
        {
            foreach (var index in _streams)
            {
                if (Matches(index.Stream, matchers))
                {
                    result.Add(index.Stream);
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Lines of streams matching <paramref name="matchers"/> with a time in [<paramref name="fromNs"/>, <paramref name="toNs"/>]
    /// that pass <paramref name="lineFilter"/>, oldest first when <paramref name="forward"/> else newest first, at most
    /// <paramref name="limit"/>. A 16-byte <paramref name="traceId"/> restricts the search to that trace through the index.
    /// </summary>
    public IReadOnlyList<LogEntry> Select(
        IReadOnlyList<LabelMatcher> matchers, long fromNs, long toNs, bool forward, int limit, Func<string, bool>? lineFilter = null, ReadOnlySpan<byte> traceId = default)
    {
        ArgumentNullException.ThrowIfNull(matchers);
        var candidates = new List<(long Timestamp, long Locator)>();
        lock (_gate)
        {
            ThrowIfDisposed();
            if (traceId.Length == 16)
            {
                CollectTrace(BinaryPrimitives.ReadUInt128BigEndian(traceId), matchers, fromNs, toNs, candidates);
            }
            else
            {
                foreach (var index in _streams)
                {
                    if (Matches(index.Stream, matchers))
                    {
                        index.Collect(fromNs, toNs, _firstLocator, candidates);
                    }
                }
            }
        }

        candidates.Sort(forward
            ? static (a, b) => a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : a.Locator.CompareTo(b.Locator)
            : static (a, b) => a.Timestamp != b.Timestamp ? b.Timestamp.CompareTo(a.Timestamp) : b.Locator.CompareTo(a.Locator));
        var result = new List<LogEntry>(Math.Min(limit, candidates.Count));
        foreach (var (_, locator) in candidates)
        {
            if (result.Count >= limit)
            {
                break;
            }

            var entry = Read(locator);
            if (entry is not null && (lineFilter is null || lineFilter(entry.Line)))
            {
                result.Add(entry);
            }
        }

        return result;
    }

    /// <summary>Sorted label names of streams with lines in [fromNs, toNs].</summary>
    public IReadOnlyList<string> LabelNames(long fromNs, long toNs)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var index in _streams)
            {
                if (index.Overlaps(fromNs, toNs))
                {
                    foreach (var label in index.Stream.Labels)
                    {
                        names.Add(label.Name);
                    }
                }
            }
        }

        return [.. names];
    }

    /// <summary>Sorted values of label <paramref name="name"/> among streams matching the matchers with lines in [fromNs, toNs].</summary>
    public IReadOnlyList<string> LabelValues(string name, long fromNs, long toNs, IReadOnlyList<LabelMatcher> matchers)
    {
        ArgumentNullException.ThrowIfNull(matchers);
        var values = new SortedSet<string>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var index in _streams)
            {
                var value = index.Stream.Get(name);
                if (value.Length > 0 && index.Overlaps(fromNs, toNs) && Matches(index.Stream, matchers))
                {
                    values.Add(value);
                }
            }
        }

        return [.. values];
    }

    /// <summary>Reads one line by locator; null when retention removed it.</summary>
    internal LogEntry? Read(long locator)
    {
        Segment? segment;
        LogStreamInfo stream;
        lock (_gate)
        {
            if (_disposed || locator < _firstLocator)
            {
                return null;
            }

            segment = FindSegment((int)(locator >> SegmentShift));
            if (segment is null)
            {
                return null;
            }
        }

        var offset = locator & OffsetMask;
        Span<byte> frame = stackalloc byte[LogSegmentFormat.FrameSize];
        try
        {
            if (RandomAccess.Read(segment.Handle, frame, offset) != frame.Length)
            {
                return null;
            }

            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(frame);
            var payload = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                var span = payload.AsSpan(0, length);
                if (RandomAccess.Read(segment.Handle, span, offset + LogSegmentFormat.FrameSize) != length || span[0] != LogSegmentFormat.EntryRecord)
                {
                    return null;
                }

                lock (_gate)
                {
                    stream = _streams[BinaryPrimitives.ReadInt32LittleEndian(span[1..])].Stream;
                }

                var timestamp = BinaryPrimitives.ReadInt64LittleEndian(span[5..]);
                var traceId = span.Slice(13, 16);
                var spanId = span.Slice(29, 8);
                var lineLength = BinaryPrimitives.ReadInt32LittleEndian(span[37..]);
                return new LogEntry(
                    stream,
                    timestamp,
                    traceId.ContainsAnyExcept((byte)0) ? Convert.ToHexStringLower(traceId) : string.Empty,
                    spanId.ContainsAnyExcept((byte)0) ? Convert.ToHexStringLower(spanId) : string.Empty,
                    Encoding.UTF8.GetString(span.Slice(LogSegmentFormat.EntryFixedSize, lineLength)));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(payload);
            }
        }
        catch (ObjectDisposedException)
        {
            // Retention closed the segment between the lookup and the read.
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_segments.Count > 0)
            {
                try
                {
                    RandomAccess.FlushToDisk(_segments[^1].Handle);
                }
                catch (IOException)
                {
                    // Nothing more can be done at shutdown; the records were written to the OS already.
                }
            }

            foreach (var segment in _segments)
            {
                segment.Handle.Dispose();
            }
        }
    }

    private void Recover()
    {
        var files = Directory.GetFiles(_options.Directory, "segment-*.log");
        var numbers = new List<int>();
        foreach (var file in files)
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (int.TryParse(name.AsSpan("segment-".Length), out var number))
            {
                numbers.Add(number);
            }
        }

        numbers.Sort();
        foreach (var number in numbers)
        {
            var path = SegmentPath(number);
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            var segment = new Segment(number, handle, 0);
            _segments.Add(segment);
            segment.Length = ReplaySegment(segment);
        }

        if (_segments.Count == 0)
        {
            StartSegment(1);
        }

        _firstLocator = (long)_segments[0].Number << SegmentShift;
    }

    private long ReplaySegment(Segment segment)
    {
        var fileLength = RandomAccess.GetLength(segment.Handle);
        Span<byte> header = stackalloc byte[LogSegmentFormat.HeaderSize];
        if (fileLength < LogSegmentFormat.HeaderSize || RandomAccess.Read(segment.Handle, header, 0) != header.Length || !LogSegmentFormat.IsValidHeader(header))
        {
            // A segment whose header never made it to disk holds nothing acknowledged: rewrite it empty.
            TruncatedBytes += fileLength;
            RandomAccess.SetLength(segment.Handle, 0);
            LogSegmentFormat.WriteHeader(header);
            RandomAccess.Write(segment.Handle, header, 0);
            return LogSegmentFormat.HeaderSize;
        }

        // A separate handle: disposing a FileStream closes the handle it wraps.
        using var stream = new FileStream(SegmentPath(segment.Number), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        stream.Position = LogSegmentFormat.HeaderSize;
        var offset = (long)LogSegmentFormat.HeaderSize;
        var frame = new byte[LogSegmentFormat.FrameSize];
        var payload = new byte[4096];
        while (offset < fileLength)
        {
            if (fileLength - offset < LogSegmentFormat.FrameSize)
            {
                break;
            }

            stream.ReadExactly(frame);
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(frame);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(4));
            if (length < 1 || length > LogSegmentFormat.MaxPayload || fileLength - offset - LogSegmentFormat.FrameSize < length)
            {
                break;
            }

            if (payload.Length < length)
            {
                payload = new byte[Math.Max(length, payload.Length * 2)];
            }

            var span = payload.AsSpan(0, length);
            stream.ReadExactly(span);
            if (Crc32.HashToUInt32(span) != crc || !ApplyRecord(span, ((long)segment.Number << SegmentShift) + offset))
            {
                break;
            }

            offset += LogSegmentFormat.FrameSize + length;
        }

        if (offset < fileLength)
        {
            TruncatedBytes += fileLength - offset;
            RandomAccess.SetLength(segment.Handle, offset);
        }

        return offset;
    }

    private bool ApplyRecord(ReadOnlySpan<byte> payload, long locator)
    {
        switch (payload[0])
        {
            case LogSegmentFormat.StreamRecord:
                var labels = LogSegmentFormat.ReadStreamLabels(payload, out var streamId);
                if (streamId < _streams.Count)
                {
                    // Every segment restates the streams it uses; the first definition wins.
                    return _streams[streamId].Stream.Key == RenderKey(labels);
                }

                if (streamId != _streams.Count)
                {
                    return false;
                }

                AddStream(new LogStreamInfo(streamId, labels, RenderKey(labels)));
                return true;
            case LogSegmentFormat.EntryRecord:
                var id = BinaryPrimitives.ReadInt32LittleEndian(payload[1..]);
                if ((uint)id >= (uint)_streams.Count || payload.Length < LogSegmentFormat.EntryFixedSize)
                {
                    return false;
                }

                IndexEntry(id, BinaryPrimitives.ReadInt64LittleEndian(payload[5..]), payload.Slice(13, 16), locator);
                return true;
            default:
                return false;
        }
    }

    private void AddStream(LogStreamInfo stream)
    {
        var index = new StreamIndex(stream);
        _streams.Add(index);
        _streamsByKey.Add(stream.Key, index);
    }

    private void IndexEntry(int streamId, long timestampNs, ReadOnlySpan<byte> traceId, long locator)
    {
        _streams[streamId].Add(timestampNs, locator);
        EntryCount++;
        if (traceId.Length == 16 && traceId.ContainsAnyExcept((byte)0))
        {
            var key = BinaryPrimitives.ReadUInt128BigEndian(traceId);
            if (!_traces.TryGetValue(key, out var locators))
            {
                _traces[key] = locators = new List<long>(2);
            }

            locators.Add(locator);
        }
    }

    private void CollectTrace(UInt128 traceId, IReadOnlyList<LabelMatcher> matchers, long fromNs, long toNs, List<(long, long)> into)
    {
        if (!_traces.TryGetValue(traceId, out var locators))
        {
            return;
        }

        foreach (var locator in locators)
        {
            if (locator < _firstLocator)
            {
                continue;
            }

            // The trace index holds locators only; timestamps and streams come from the stream chunks.
            foreach (var index in _streams)
            {
                if (index.TryFind(locator, out var timestamp))
                {
                    if (timestamp >= fromNs && timestamp <= toNs && Matches(index.Stream, matchers))
                    {
                        into.Add((timestamp, locator));
                    }

                    break;
                }
            }
        }
    }

    private void WriteLocked(ReadOnlySpan<byte> bytes, out long locator)
    {
        var active = _segments[^1];
        if (active.Length + bytes.Length > _options.SegmentBytes && active.Length > LogSegmentFormat.HeaderSize)
        {
            Roll();
            active = _segments[^1];
        }

        RandomAccess.Write(active.Handle, bytes, active.Length);
        locator = ((long)active.Number << SegmentShift) + active.Length;
        active.Length += bytes.Length;
    }

    private void Roll()
    {
        var previous = _segments[^1];
        RandomAccess.FlushToDisk(previous.Handle);
        StartSegment(previous.Number + 1);

        // Restate every stream so a segment stays readable after older ones are deleted.
        foreach (var index in _streams)
        {
            var labels = index.Stream.Labels;
            var buffer = new byte[LogSegmentFormat.FrameSize + LogSegmentFormat.StreamPayloadSize(labels)];
            var length = LogSegmentFormat.WriteStream(buffer.AsSpan(LogSegmentFormat.FrameSize), index.Stream.Id, labels);
            LogSegmentFormat.WriteFrame(buffer, length);
            var active = _segments[^1];
            RandomAccess.Write(active.Handle, buffer, active.Length);
            active.Length += buffer.Length;
        }

        EnforceRetention();
    }

    private void StartSegment(int number)
    {
        var handle = File.OpenHandle(SegmentPath(number), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        Span<byte> header = stackalloc byte[LogSegmentFormat.HeaderSize];
        LogSegmentFormat.WriteHeader(header);
        RandomAccess.Write(handle, header, 0);
        _segments.Add(new Segment(number, handle, LogSegmentFormat.HeaderSize));
    }

    private void EnforceRetention()
    {
        if (_options.MaxBytes <= 0)
        {
            return;
        }

        long total = 0;
        foreach (var segment in _segments)
        {
            total += segment.Length;
        }

        var removed = false;
        while (total > _options.MaxBytes && _segments.Count > 1)
        {
            var oldest = _segments[0];
            _segments.RemoveAt(0);
            total -= oldest.Length;
            oldest.Handle.Dispose();
            File.Delete(SegmentPath(oldest.Number));
            removed = true;
        }

        if (!removed)
        {
            return;
        }

        _firstLocator = (long)_segments[0].Number << SegmentShift;
        long remaining = 0;
        foreach (var index in _streams)
        {
            remaining += index.DropBefore(_firstLocator);
        }

        EntryCount = remaining;
        var emptied = new List<UInt128>();
        foreach (var (trace, locators) in _traces)
        {
            locators.RemoveAll(l => l < _firstLocator);
            if (locators.Count == 0)
            {
                emptied.Add(trace);
            }
        }

        foreach (var trace in emptied)
        {
            _traces.Remove(trace);
        }
    }

    private Segment? FindSegment(int number)
    {
        foreach (var segment in _segments)
        {
            if (segment.Number == number)
            {
                return segment;
            }
        }

        return null;
    }

    private string SegmentPath(int number) => Path.Combine(_options.Directory, $"segment-{number:D8}.log");

    private static bool Matches(LogStreamInfo stream, IReadOnlyList<LabelMatcher> matchers)
    {
        foreach (var matcher in matchers)
        {
            if (!matcher.Matches(stream.Get(matcher.Name)))
            {
                return false;
            }
        }

        return true;
    }

    private static string RenderKey(Label[] sorted)
    {
        var builder = new StringBuilder("{");
        for (var i = 0; i < sorted.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            builder.Append(sorted[i].Name).Append("=\"")
                .Append(sorted[i].Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }

        return builder.Append('}').ToString();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private sealed class Segment(int number, SafeFileHandle handle, long length)
    {
        public int Number { get; } = number;

        public SafeFileHandle Handle { get; } = handle;

        public long Length { get; set; } = length;
    }

    /// <summary>Per stream: (time, locator) pairs in append order, in chunks that carry their time range.</summary>
    private sealed class StreamIndex(LogStreamInfo stream)
    {
        private readonly List<Chunk> _chunks = [];

        public LogStreamInfo Stream { get; } = stream;

        public void Add(long timestamp, long locator)
        {
            if (_chunks.Count == 0 || _chunks[^1].Count == ChunkSize)
            {
                _chunks.Add(new Chunk());
            }

            var chunk = _chunks[^1];
            chunk.Timestamps[chunk.Count] = timestamp;
            chunk.Locators[chunk.Count] = locator;
            chunk.Count++;
            chunk.MinTimestamp = Math.Min(chunk.MinTimestamp, timestamp);
            chunk.MaxTimestamp = Math.Max(chunk.MaxTimestamp, timestamp);
        }

        public bool Overlaps(long fromNs, long toNs)
        {
            foreach (var chunk in _chunks)
            {
                if (chunk.MaxTimestamp >= fromNs && chunk.MinTimestamp <= toNs)
                {
                    return true;
                }
            }

            return false;
        }

        public void Collect(long fromNs, long toNs, long firstLocator, List<(long, long)> into)
        {
            foreach (var chunk in _chunks)
            {
                if (chunk.MaxTimestamp < fromNs || chunk.MinTimestamp > toNs)
                {
                    continue;
                }

                for (var i = 0; i < chunk.Count; i++)
                {
                    var timestamp = chunk.Timestamps[i];
                    if (timestamp >= fromNs && timestamp <= toNs && chunk.Locators[i] >= firstLocator)
                    {
                        into.Add((timestamp, chunk.Locators[i]));
                    }
                }
            }
        }

        public bool TryFind(long locator, out long timestamp)
        {
            foreach (var chunk in _chunks)
            {
                if (chunk.Count == 0 || locator < chunk.Locators[0] || locator > chunk.Locators[chunk.Count - 1])
                {
                    continue;
                }

                var position = Array.BinarySearch(chunk.Locators, 0, chunk.Count, locator);
                if (position >= 0)
                {
                    timestamp = chunk.Timestamps[position];
                    return true;
                }
            }

            timestamp = 0;
            return false;
        }

        /// <summary>Drops whole chunks older than the retention point; returns the entries left.</summary>
        public long DropBefore(long firstLocator)
        {
            var drop = 0;
            while (drop < _chunks.Count && _chunks[drop].Count > 0 && _chunks[drop].Locators[_chunks[drop].Count - 1] < firstLocator)
            {
                drop++;
            }

            _chunks.RemoveRange(0, drop);
            long remaining = 0;
            foreach (var chunk in _chunks)
            {
                remaining += chunk.Count;
            }

            return remaining;
        }
    }

    private sealed class Chunk
    {
        public long[] Timestamps { get; } = new long[ChunkSize];

        public long[] Locators { get; } = new long[ChunkSize];

        public int Count { get; set; }

        public long MinTimestamp { get; set; } = long.MaxValue;

        public long MaxTimestamp { get; set; } = long.MinValue;
    }
}
