using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

using FASTER.core;

using Microsoft.Extensions.Logging;

using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Tsdb.Index;

/// <summary>
/// The TSDB's persistent inverted index in FasterKV, on the span store's <see cref="CorrelationIndex"/> (base key →
/// chunked, ascending posting lists with idempotent append): <c>'S' | series key</c> → the series id, and
/// <c>'P' | name | 0xFF | value</c> → ids of the series with that label. Ids are handed out in increasing order, so
/// appends keep lists sorted. The checkpoint cookie stores the next id; see docs/format/tsdb-index.md. Not
/// thread-safe: the store calls it under its lock.
/// </summary>
internal sealed partial class TsdbIndex : IDisposable
{
    private const byte CookieVersion = 1;
    private const byte SeriesPrefix = (byte)'S';
    private const byte PostingPrefix = (byte)'P';
    private const byte Separator = 0xFF;

    private readonly string _directory;
    private readonly SpanStoreOptions _sizes;
    private readonly ILogger _logger;
    private readonly Posting[] _one = new Posting[1];
    private CorrelationIndex _index;
    private byte[] _key = new byte[256];
    private int _checkpoints;
    private bool _dirty;

    public TsdbIndex(string directory, TsdbOptions options, ILogger logger)
    {
        _directory = directory;
        _logger = logger;

        // Only the FASTER sizes of SpanStoreOptions matter to CorrelationIndex.
        _sizes = new SpanStoreOptions
        {
            IndexTableSize = options.IndexTableSize,
            IndexMemorySize = options.IndexMemorySize,
            IndexPageSize = 1L << 22,
            IndexSegmentSize = 1L << 30,
            MaxPostingsPerChunk = 1 << 16,
        };
        Directory.CreateDirectory(directory);
        _index = new CorrelationIndex(directory, _sizes);
        byte[]? cookie;
        try
        {
            cookie = _index.TryRecover();
        }
        catch (Exception e) when (e is FasterException or IOException or InvalidDataException or FormatException)
        {
            LogUnrecoverable(_logger, directory, e.Message);
            Reset();
            return;
        }

        if (cookie is { Length: 9 } && cookie[0] == CookieVersion)
        {
            NextId = BinaryPrimitives.ReadInt64LittleEndian(cookie.AsSpan(1));
            Recovered = true;
        }
        else if (cookie is not null)
        {
            LogUnrecoverable(_logger, directory, "unknown checkpoint cookie");
            Reset();
        }
    }

    /// <summary>The id the next new series gets (persisted in the checkpoint cookie).</summary>
    public long NextId { get; private set; }

    /// <summary>Whether the index came back from a checkpoint (else it starts empty and is filled from blocks and WAL).</summary>
    public bool Recovered { get; }

    public int ReserveId() => checked((int)NextId++);

    /// <summary>The id the index holds for a series key, or -1.</summary>
    public int FindSeries(ReadOnlySpan<byte> seriesKey)
    {
        var key = Key(SeriesPrefix, seriesKey, []);
        var sink = new LastSink();
        _index.Read(key, ref sink);
        return sink.Found ? (int)sink.Last : -1;
    }

    /// <summary>Records a series and one posting per label; a replay of the same id is a no-op.</summary>
    public void AddSeries(int id, ReadOnlySpan<byte> seriesKey, Label[] labels)
    {
        _dirty = true;
        _one[0] = new Posting(id, 0);
        var key = Key(SeriesPrefix, seriesKey, []);
        _index.Append(key, XxHash3.HashToUInt64(key), _one, 1);
        foreach (var l in labels)
        {
            key = PostingKey(l.Name, l.Value);
            _index.Append(key, XxHash3.HashToUInt64(key), _one, 1);
        }
    }

    /// <summary>Appends the ids of series with label <paramref name="name"/>=<paramref name="value"/>, ascending.</summary>
    public void Read(string name, string value, List<int> into)
    {
        var sink = new ListSink(into);
        _index.Read(PostingKey(name, value), ref sink);
    }

    /// <summary>
    /// Checkpoints what changed since the last one (the hash table too on the first and every tenth); the caller must
    /// keep writers out so the cookie matches the contents exactly.
    /// </summary>
    public void Checkpoint()
    {
        if (!_dirty)
        {
            return;
        }

        bool full = _checkpoints++ % 10 == 0;
        var cookie = new byte[9];
        cookie[0] = CookieVersion;
        BinaryPrimitives.WriteInt64LittleEndian(cookie.AsSpan(1), NextId);

        // FASTER's checkpoint completion spins on the calling thread; keep it off the caller's context.
        bool ok = Task.Run(async () => await _index.CheckpointAsync(cookie, full).ConfigureAwait(false)).GetAwaiter().GetResult();
        if (ok)
        {
            _dirty = false;
        }
        else
        {
            LogCheckpointFailed(_logger, _directory);
        }
    }

    public void Dispose() => _index.Dispose();

    private void Reset()
    {
        _index.Dispose();
        Directory.Delete(_directory, recursive: true);
        Directory.CreateDirectory(_directory);
        _index = new CorrelationIndex(_directory, _sizes);
        NextId = 0;
    }

    private ReadOnlySpan<byte> PostingKey(string name, string value)
    {
        int nameBytes = Encoding.UTF8.GetByteCount(name);
        int valueBytes = Encoding.UTF8.GetByteCount(value);
        Ensure(2 + nameBytes + valueBytes);
        _key[0] = PostingPrefix;
        Encoding.UTF8.GetBytes(name, _key.AsSpan(1));
        _key[1 + nameBytes] = Separator;
        Encoding.UTF8.GetBytes(value, _key.AsSpan(2 + nameBytes));
        return _key.AsSpan(0, 2 + nameBytes + valueBytes);
    }

    private ReadOnlySpan<byte> Key(byte prefix, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        Ensure(1 + a.Length + b.Length);
        _key[0] = prefix;
        a.CopyTo(_key.AsSpan(1));
        b.CopyTo(_key.AsSpan(1 + a.Length));
        return _key.AsSpan(0, 1 + a.Length + b.Length);
    }

    private void Ensure(int n)
    {
        if (_key.Length < n)
        {
            _key = new byte[Math.Max(n, _key.Length * 2)];
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "TSDB index at {Directory} could not be recovered ({Reason}); rebuilding it from blocks and WAL")]
    private static partial void LogUnrecoverable(ILogger logger, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "TSDB index checkpoint at {Directory} failed; the next open rebuilds what came after the previous one")]
    private static partial void LogCheckpointFailed(ILogger logger, string directory);

    private struct LastSink : IPostingSink
    {
        public bool Found;
        public long Last;

        public void Add(Posting posting)
        {
            Found = true;
            Last = posting.Locator;
        }
    }

    private readonly struct ListSink(List<int> list) : IPostingSink
    {
        public void Add(Posting posting) => list.Add((int)posting.Locator);
    }
}
