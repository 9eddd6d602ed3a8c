using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;

using FASTER.core;

using Google.Protobuf;

using Microsoft.Extensions.Logging;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Protocol.Wire;

namespace TraceLink.Storage.Spans;

/// <summary>
/// <see cref="ISpanStore"/> on Microsoft.FASTER: a FasterLog span log (group commit, CRC-checked records, retention
/// by segment truncation) and a FasterKV correlation index that is checkpointed with the log address it covers and
/// brought up to date by replaying the log on open. Files live under <c>&lt;DataDirectory&gt;/spans/</c>.
/// </summary>
public sealed class FasterSpanStore : ISpanStore
{
    private const byte CookieVersion = 1;
    private const int FlushPostingsAt = 1 << 18;
    private const int ObserverBatch = 4096;
    private const int ResourceCacheLimit = 4096;
    private readonly SpanStoreOptions _options;
    private readonly ILogger _logger;
    private readonly string _root;
    private readonly IDevice _logDevice;
    private readonly FasterLog _log;
    private readonly SpanLogFiles _files;
    private readonly DroppedRanges _dropped;
    private readonly TagCatalog _catalog;
    private readonly string _indexDirectory;
    private CorrelationIndex _index;
    private readonly Lock _writeLock = new();
    private readonly Lock _indexLock = new();
    private readonly Lock _commitLock = new();
    private readonly ConcurrentQueue<IndexWork> _pending = new();
    private readonly ConcurrentBag<RecordEncoder> _encoders = [];
    private readonly PostingBatch _batch = new();
    private readonly List<IndexWork> _drained = [];
    private readonly AppendedSpans _observed = new();
    private int _draining;
    private readonly ConcurrentDictionary<long, Resource> _resources = new();
    private readonly SemaphoreSlim _maintenanceGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _checkpointLoop;
    private readonly Task _retentionLoop;
    private readonly long _maxRecordLength;
    private static readonly DroppedRanges DroppedRangesNone = DroppedRanges.Load(string.Empty);
    private long _observerReplayFrom = long.MaxValue;
    private long _indexedUntil;
    private long _lastCompaction = Stopwatch.GetTimestamp();
    private long _lastCheckpointCookie = -1;
    private int _checkpoints;
    private Task? _commitTask;
    private int _disposed;

    /// <summary>Opens (or creates) the store, recovering the index and replaying the span log as needed.</summary>
    public FasterSpanStore(SpanStoreOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _options = options;
        _logger = logger;
        _root = Path.Combine(options.DataDirectory, "spans");
        string logDirectory = Path.Combine(_root, "log");
        Directory.CreateDirectory(logDirectory);
        string logBase = Path.Combine(logDirectory, "spans.log");
        _logDevice = Devices.CreateLogDevice(logBase);
        _log = new FasterLog(new FasterLogSettings
        {
            LogDevice = _logDevice,
            PageSize = options.LogPageSize,
            MemorySize = options.LogMemorySize,
            SegmentSize = options.LogSegmentSize,
            LogCommitDir = Path.Combine(logDirectory, "commits"),
            AutoRefreshSafeTailAddress = false,
            LogChecksum = LogChecksumType.None,
        });
        _maxRecordLength = options.LogPageSize - 64;
        _files = new SpanLogFiles(logBase, options.LogSegmentSize, options.LogPageSize);
        _dropped = DroppedRanges.Load(Path.Combine(_root, "dropped.bin"));
        _catalog = new TagCatalog(options);
        _indexDirectory = Path.Combine(_root, "index");
        _index = new CorrelationIndex(_indexDirectory, options);
        Recover();
        _checkpointLoop = Task.Run(() => RunPeriodicAsync(options.CheckpointInterval, CheckpointAsync));
        _retentionLoop = Task.Run(() => RunPeriodicAsync(options.RetentionInterval, () => ApplyRetentionAsync(DateTimeOffset.UtcNow)));
    }

    /// <summary>Opens (or creates) a store; same as the constructor.</summary>
    public static FasterSpanStore Open(SpanStoreOptions options, ILogger logger) => new(options, logger);

    /// <summary>First span-log address still kept (older locators were removed by retention).</summary>
    public long BeginAddress => _log.BeginAddress;

    /// <summary>Span-log address up to which records are committed (durable).</summary>
    public long CommittedUntilAddress => _log.CommittedUntilAddress;

    private string CatalogPath => Path.Combine(_root, "catalog.bin");

    /// <inheritdoc/>
    public async ValueTask<int> AppendAsync(ExportTraceServiceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using OtlpSpanBatch batch = OtlpSpanBatch.FromRequest(request);
        return await AppendAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<int> AppendAsync(OtlpSpanBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_encoders.TryTake(out RecordEncoder? encoder))
        {
            encoder = new RecordEncoder();
        }

        IndexWork work;
        try
        {
            encoder.Encode(batch, _maxRecordLength);
            if (encoder.SpanCount == 0)
            {
                return 0;
            }

            work = new IndexWork(batch, encoder.SpanCount);
            lock (_writeLock)
            {
                long resourceLocator = 0;
                int span = 0;
                int resource = 0;
                long end = 0;
                for (int i = 0; i < encoder.Count; i++)
                {
                    Span<byte> record = encoder.Record(i);
                    byte type = encoder.Type(i);
                    if (type == SpanLogRecord.TypeSpan)
                    {
                        BinaryPrimitives.WriteInt64LittleEndian(record[SpanLogRecord.ResourceLocatorOffset..], resourceLocator);
                        SpanLogRecord.Seal(record, type, encoder.CrcState(i));
                    }

                    long address = _log.Enqueue(record);
                    if (type == SpanLogRecord.TypeSpan)
                    {
                        work.Locators[span++] = address;
                    }
                    else
                    {
                        resourceLocator = address;
                        work.ResourceLocators[resource++] = address;
                    }

                    end = address + SpanLogFiles.EntrySize(record.Length);
                }

                work.End = end;
                _pending.Enqueue(work);
            }
        }
        finally
        {
            encoder.Release();
            _encoders.Add(encoder);
        }

        try
        {
            // Once enqueued the records are committed and indexed even if the caller gives up, so no cancellation here.
            await WaitForCommitAsync(work.End).ConfigureAwait(false);
            DrainIndex();

            // Another caller may be indexing this work together with its own; it completes the task when done.
            await work.Indexed.Task.ConfigureAwait(false);
        }
        catch (Exception) when (!work.Indexed.Task.IsCompleted)
        {
            // The work stays queued for a later drain, but the caller's request buffer is released once this throws:
            // give the work its own copy (under the index lock, so no drain is reading the old bytes meanwhile).
            lock (_indexLock)
            {
                work.Batch = work.Batch.WithCopiedBody();
            }

            throw;
        }

        return work.Locators.Length;
    }

    /// <inheritdoc/>
    public IReadOnlyList<StoredSpan> GetTrace(ReadOnlySpan<byte> traceId)
    {
        var locators = new List<long>();
        Lookup(IndexKind.TraceId, traceId, long.MinValue, long.MaxValue, locators);
        var spans = new List<StoredSpan>(locators.Count);
        foreach (long locator in locators)
        {
            StoredSpan? span = Read(locator);
            if (span is not null)
            {
                spans.Add(span);
            }
        }

        return spans;
    }

    /// <inheritdoc/>
    public void Lookup(IndexKind kind, ReadOnlySpan<byte> value, long fromUnixNano, long toUnixNano, List<long> locators)
    {
        ArgumentNullException.ThrowIfNull(locators);
        var sink = new LocatorSink(locators, fromUnixNano, toUnixNano, _log.BeginAddress, _dropped);
        Span<byte> key = stackalloc byte[IndexKeys.MaxKeyBytes];
        if (!IndexKeys.IsBucketed(kind))
        {
            int length = IndexKeys.Build(key, kind, 0, value);
            _index.Read(key[..length], ref sink);
            return;
        }

        (long first, long last) = MinuteRange(fromUnixNano, toUnixNano);
        for (long minute = first; minute <= last; minute++)
        {
            int length = IndexKeys.Build(key, kind, minute, value);
            _index.Read(key[..length], ref sink);
        }
    }

    /// <inheritdoc/>
    public StoredSpan? Read(long locator)
    {
        if (locator < _log.BeginAddress || locator >= _log.CommittedUntilAddress || _dropped.Contains(locator))
        {
            return null;
        }

        byte[]? buffer = _files.TryRead(locator, out int length);
        if (buffer is null)
        {
            return null;
        }

        try
        {
            ReadOnlySpan<byte> record = buffer.AsSpan(0, length);
            if (record[1] != SpanLogRecord.TypeSpan)
            {
                return null;
            }

            Resource? resource = GetResource(SpanLogRecord.ResourceLocator(record));
            if (resource is null)
            {
                return null;
            }

            ScopeSpans scopeSpans = ScopeSpans.Parser.ParseFrom(SpanLogRecord.Payload(record, SpanLogRecord.TypeSpan));
            return scopeSpans.Spans.Count != 1 ? null : new StoredSpan(locator, resource, scopeSpans.Scope ?? new InstrumentationScope(), scopeSpans.Spans[0]);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc/>
    public IEnumerable<StoredSpan> ScanNewestFirst(long fromUnixNano, long toUnixNano)
    {
        (long first, long last) = MinuteRange(fromUnixNano, toUnixNano);
        var locators = new List<long>();
        for (long minute = last; minute >= first; minute--)
        {
            locators.Clear();
            ReadTimeBucket(minute, fromUnixNano, toUnixNano, locators);
            for (int i = locators.Count - 1; i >= 0; i--)
            {
                StoredSpan? span = Read(locators[i]);
                if (span is not null)
                {
                    yield return span;
                }
            }
        }
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, IReadOnlyCollection<string>> TagNames() => _catalog.Names();

    /// <inheritdoc/>
    public IReadOnlyCollection<string> TagValues(string scope, string name) => _catalog.Values(scope, name);

    /// <summary>Stops background work, indexes and commits what is pending, checkpoints the index and closes the files.</summary>
    public ValueTask DisposeAsync() => CloseAsync(checkpoint: true);

    /// <summary>Takes an index checkpoint now (normally done periodically on a background task).</summary>
    internal Task CheckpointNowAsync() => CheckpointAsync();

    /// <summary>Closes without the final checkpoint, leaving recovery to WAL replay (crash-like, for tests).</summary>
    internal ValueTask CloseWithoutCheckpointAsync() => CloseAsync(checkpoint: false);

    /// <summary>Runs retention as if the clock read <paramref name="now"/>; returns the new begin address.</summary>
    internal async Task<long> ApplyRetentionAsync(DateTimeOffset now)
    {
        await _maintenanceGate.WaitAsync().ConfigureAwait(false);
        try
        {
            DateTimeOffset cutoffTime = now - _options.Retention;
            long cutoff = cutoffTime.ToUnixTimeMilliseconds() * 1_000_000;
            long until = FindRetentionPoint(cutoff);
            if (until > _log.BeginAddress)
            {
                _log.TruncateUntil(until);
                await _log.CommitAsync().ConfigureAwait(false);
                _files.ReleaseSegmentsBelow(_log.BeginAddress);
                lock (_indexLock)
                {
                    _dropped.TrimBelow(_log.BeginAddress);
                }

                _catalog.RaiseMinStart(cutoff);
                _resources.Clear();
                SpanStoreLog.RetentionTruncated(_logger, until, cutoffTime);
                if (Stopwatch.GetElapsedTime(_lastCompaction) >= _options.IndexCompactionInterval)
                {
                    CompactIndexCore();
                }
            }

            return _log.BeginAddress;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            SpanStoreLog.RetentionFailed(_logger, exception);
            return _log.BeginAddress;
        }
        finally
        {
            _maintenanceGate.Release();
        }
    }

    /// <summary>Compacts the correlation index now (normally after retention, at most every IndexCompactionInterval).</summary>
    internal async Task<long> CompactIndexNowAsync()
    {
        await _maintenanceGate.WaitAsync().ConfigureAwait(false);
        try
        {
            return CompactIndexCore();
        }
        finally
        {
            _maintenanceGate.Release();
        }
    }

    /// <summary>Hybrid-log begin address of the correlation index (diagnostics).</summary>
    internal long IndexLogBeginAddress => _index.LogBeginAddress;

    /// <summary>Postings stored under an unbucketed key, including expired ones (diagnostics).</summary>
    internal int RawPostingCount(IndexKind kind, ReadOnlySpan<byte> value)
    {
        var locators = new List<long>();
        var sink = new LocatorSink(locators, long.MinValue, long.MaxValue, long.MinValue, DroppedRangesNone);
        Span<byte> key = stackalloc byte[IndexKeys.MaxKeyBytes];
        int length = IndexKeys.Build(key, kind, 0, value);
        _index.Read(key[..length], ref sink);
        return locators.Count;
    }

    private long CompactIndexCore()
    {
        _lastCompaction = Stopwatch.GetTimestamp();
        return _index.Compact(_log.BeginAddress);
    }

    private async ValueTask CloseAsync(bool checkpoint)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _checkpointLoop.ConfigureAwait(false);
        await _retentionLoop.ConfigureAwait(false);
        await WaitForCommitAsync(_log.TailAddress).ConfigureAwait(false);

        // Waits for a drain under way on another thread, then indexes whatever is left.
        lock (_indexLock)
        {
            DrainCommitted();
        }

        if (checkpoint)
        {
            await CheckpointAsync().ConfigureAwait(false);
        }

        _index.Dispose();
        _files.Dispose();
        _log.Dispose();
        _logDevice.Dispose();
        _stop.Dispose();
        _maintenanceGate.Dispose();
    }

    private void Recover()
    {
        var clock = Stopwatch.StartNew();
        long begin = _log.BeginAddress;
        long tail = _log.CommittedUntilAddress;
        long cookie = RecoverIndex(tail);
        if (cookie < 0)
        {
            if (tail > begin)
            {
                SpanStoreLog.RebuildingIndex(_logger);
            }

            cookie = begin;
        }
        else if (!_catalog.TryLoad(CatalogPath))
        {
            SpanStoreLog.CatalogUnreadable(_logger, CatalogPath);
            cookie = begin;
        }

        cookie = Math.Max(cookie, begin);

        // Verify at least the last two pages even when the checkpoint covers them: that is where a torn write lands.
        long pageSize = _options.LogPageSize;
        long verifyFrom = Math.Max(begin, (tail & ~(pageSize - 1)) - pageSize);
        long replayFrom = cookie;
        foreach (ISpanIndexObserver observer in _options.Observers)
        {
            replayFrom = Math.Min(replayFrom, Math.Max(begin, observer.ReplayFrom));
            _observerReplayFrom = Math.Min(_observerReplayFrom, observer.ReplayFrom);
        }

        var replay = new Replay(this, cookie);
        long bad = _files.Scan(Math.Min(replayFrom, verifyFrom), tail, _dropped, replay);
        replay.Flush();
        if (bad >= 0)
        {
            SpanStoreLog.TornTail(_logger, bad, tail);
            _dropped.Add(bad, tail);
        }

        _indexedUntil = tail;
        _lastCheckpointCookie = -1;
        SpanStoreLog.Opened(_logger, _root, begin, tail, cookie, replay.Replayed, clock.ElapsedMilliseconds);
    }

    /// <summary>Recovers the index checkpoint; returns its WAL cookie or -1 when the index must be rebuilt.</summary>
    private long RecoverIndex(long tail)
    {
        byte[]? cookie;
        try
        {
            cookie = _index.TryRecover();
        }
        catch (Exception exception) when (exception is FasterException or IOException or InvalidDataException or FormatException)
        {
            SpanStoreLog.IndexUnrecoverable(_logger, exception.Message);
            ResetIndex();
            return -1;
        }

        if (cookie is null || cookie.Length < 9 || cookie[0] != CookieVersion)
        {
            return -1;
        }

        long address = BinaryPrimitives.ReadInt64LittleEndian(cookie.AsSpan(1));
        if (address > tail)
        {
            // The index would point at addresses the log no longer holds (and will reuse).
            SpanStoreLog.IndexAheadOfLog(_logger, address, tail);
            ResetIndex();
            return -1;
        }

        return address;
    }

    private void ResetIndex()
    {
        _index.Dispose();
        Directory.Delete(_indexDirectory, recursive: true);
        _index = new CorrelationIndex(_indexDirectory, _options);
    }

    private async Task WaitForCommitAsync(long until)
    {
        while (_log.CommittedUntilAddress < until)
        {
            Task commit;
            lock (_commitLock)
            {
                // Every waiter that arrives while a commit is in flight shares the next one (group commit).
                if (_commitTask is null || _commitTask.IsCompleted)
                {
                    _commitTask = _log.CommitAsync().AsTask();
                }

                commit = _commitTask;
            }

            await commit.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Indexes committed work in log order. One caller at a time indexes everything committed so far, for everyone
    /// (so one posting flush and one observer batch serve many appends); a caller that finds indexing under way
    /// leaves its work to that caller, which looks again after it finishes.
    /// </summary>
    private void DrainIndex()
    {
        while (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            try
            {
                lock (_indexLock)
                {
                    DrainCommitted();
                }
            }
            finally
            {
                // A full fence, so the check below cannot read the queue before the flag is seen as cleared.
                Interlocked.Exchange(ref _draining, 0);
            }

            if (!_pending.TryPeek(out IndexWork? head) || head.End > _log.CommittedUntilAddress)
            {
                return;
            }
        }
    }

    private void DrainCommitted()
    {
        long committed = _log.CommittedUntilAddress;
        long indexed = -1;
        try
        {
            while (_pending.TryPeek(out IndexWork? work) && work.End <= committed)
            {
                _pending.TryDequeue(out _);
                _drained.Add(work);
                AddPostings(work);
                indexed = work.End;
                if (_batch.PostingCount >= FlushPostingsAt)
                {
                    _batch.FlushTo(_index);
                }

            }

            if (indexed >= 0)
            {
                _batch.FlushTo(_index);
                FlushObservers(replayed: false);
                _indexedUntil = indexed;
            }
        }
        catch (Exception exception)
        {
            foreach (IndexWork work in _drained)
            {
                work.Indexed.TrySetException(exception);
            }

            _drained.Clear();
            throw;
        }

        foreach (IndexWork work in _drained)
        {
            work.Indexed.TrySetResult();
        }

        _drained.Clear();
    }

    private void AddPostings(IndexWork work)
    {
        OtlpSpanBatch batch = work.Batch;
        ReadOnlyMemory<byte> memory = batch.Body;
        ReadOnlySpan<byte> body = memory.Span;
        ReadOnlySpan<WireSpan> spans = batch.Spans;
        int r = 0;
        foreach (ref readonly WireResource resource in batch.Resources)
        {
            ReadOnlySpan<byte> resourceBytes = body[resource.Resource];
            var keys = new SpanPostings.ResourceKeys(resourceBytes);
            if (resource.HasResource)
            {
                _catalog.AddResource(resourceBytes);
            }

            long resourceLocator = work.ResourceLocators[r++];
            for (int i = resource.FirstSpan; i < resource.FirstSpan + resource.SpanCount; i++)
            {
                ref readonly WireSpan span = ref spans[i];
                long locator = work.Locators[i];
                SpanPostings.Collect(keys, body, span, locator, _batch);
                _catalog.AddSpan(body[span.Message], (long)span.StartTimeUnixNano);
                if (_options.Observers.Count > 0)
                {
                    if (_observed.Count >= ObserverBatch)
                    {
                        FlushObservers(replayed: false);
                    }

                    // The request buffer outlives the observer call: its owner waits for this work to be indexed.
                    _observed.Add(locator, resourceLocator, memory[resource.Resource], memory[span.Message]);
                }
            }
        }
    }

    /// <summary>Queues a replayed span for the observers (the trace-group linker), which get it in log order in the next batch.</summary>
    private void NotifyReplayed(long locator, long resourceLocator, byte[] resource, ReadOnlySpan<byte> span)
    {
        if (_options.Observers.Count == 0 || locator < _observerReplayFrom)
        {
            return;
        }

        if (_observed.Count >= ObserverBatch)
        {
            FlushObservers(replayed: true);
        }

        _observed.AddCopy(locator, resourceLocator, resource, span);
    }

    /// <summary>Hands the queued spans to each observer; on replay only those at or after the observer's own replay point.</summary>
    private void FlushObservers(bool replayed)
    {
        int count = _observed.Count;
        if (count == 0)
        {
            return;
        }

        try
        {
            foreach (ISpanIndexObserver observer in _options.Observers)
            {
                int from = 0;
                while (replayed && from < count && _observed.Locator(from) < observer.ReplayFrom)
                {
                    from++;
                }

                if (from < count)
                {
                    _observed.Window(from);
                    try
                    {
                        observer.OnSpansAppended(_observed, replayed);
                    }
                    finally
                    {
                        _observed.Window(0);
                    }
                }
            }
        }
        finally
        {
            // Never handed over twice, even when an observer failed part-way.
            _observed.Clear();
        }
    }

    private async Task CheckpointAsync()
    {
        await _maintenanceGate.WaitAsync().ConfigureAwait(false);
        try
        {
            long cookie;
            byte[] catalog;
            lock (_indexLock)
            {
                // Only committed records are ever indexed, so the index never points past the durable log.
                cookie = _indexedUntil;
                catalog = _catalog.Serialize();
            }

            if (cookie == _lastCheckpointCookie)
            {
                return;
            }

            AtomicFile.Write(CatalogPath, catalog);
            byte[] cookieBytes = new byte[9];
            cookieBytes[0] = CookieVersion;
            BinaryPrimitives.WriteInt64LittleEndian(cookieBytes.AsSpan(1), cookie);
            bool full = _checkpoints++ % 10 == 0;
            if (await _index.CheckpointAsync(cookieBytes, full).ConfigureAwait(false))
            {
                _lastCheckpointCookie = cookie;
            }

            // Observers were fed in the same pass as the index, so the index cookie covers them too.
            foreach (ISpanIndexObserver observer in _options.Observers)
            {
                await observer.CheckpointAsync(cookie, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            SpanStoreLog.CheckpointFailed(_logger, exception);
        }
        finally
        {
            _maintenanceGate.Release();
        }
    }

    private async Task RunPeriodicAsync(TimeSpan interval, Func<Task> action)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                await action().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Closing.
        }
    }

    /// <summary>
    /// The first address to keep: the lowest locator among the first time buckets at or after the cutoff (or that
    /// span's resource record, which precedes it), never past what is indexed.
    /// </summary>
    private long FindRetentionPoint(long cutoff)
    {
        long indexed = Volatile.Read(ref _indexedUntil);
        if (_catalog.MaxStart < cutoff)
        {
            return indexed;
        }

        (long first, long last) = MinuteRange(cutoff, long.MaxValue);
        var sink = new MinimumSink(cutoff);
        Span<byte> key = stackalloc byte[IndexKeys.MaxKeyBytes];
        Span<byte> value = stackalloc byte[8];
        long foundAt = -1;
        for (long minute = first; minute <= last && (foundAt < 0 || minute - foundAt <= 5); minute++)
        {
            BinaryPrimitives.WriteInt64BigEndian(value, minute);
            int length = IndexKeys.Build(key, IndexKind.TimeBucket, minute, value);
            _index.Read(key[..length], ref sink);
            if (foundAt < 0 && sink.Minimum != long.MaxValue)
            {
                foundAt = minute;
            }
        }

        if (sink.Minimum == long.MaxValue)
        {
            return _log.BeginAddress;
        }

        long keep = sink.Minimum;
        byte[]? buffer = _files.TryRead(keep, out int recordLength);
        if (buffer is null)
        {
            return _log.BeginAddress;
        }

        try
        {
            keep = Math.Min(keep, SpanLogRecord.ResourceLocator(buffer.AsSpan(0, recordLength)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Math.Min(keep, indexed);
    }

    private void ReadTimeBucket(long minute, long from, long to, List<long> locators)
    {
        var sink = new LocatorSink(locators, from, to, _log.BeginAddress, _dropped);
        Span<byte> key = stackalloc byte[IndexKeys.MaxKeyBytes];
        Span<byte> value = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(value, minute);
        int length = IndexKeys.Build(key, IndexKind.TimeBucket, minute, value);
        _index.Read(key[..length], ref sink);
    }

    /// <summary>Minute buckets to visit for [from, to], clamped to the start times seen and to retention plus a day.</summary>
    private (long First, long Last) MinuteRange(long from, long to)
    {
        long low = Math.Max(from, _catalog.MinStart);
        long high = Math.Min(to, _catalog.MaxStart);
        if (low > high)
        {
            return (0, -1);
        }

        long first = SpanIndexValues.Minute(low);
        long last = SpanIndexValues.Minute(high);
        long maxBuckets = (long)(_options.Retention + TimeSpan.FromDays(1)).TotalMinutes;
        return (Math.Max(first, last - maxBuckets), last);
    }

    private Resource? GetResource(long locator)
    {
        if (_resources.TryGetValue(locator, out Resource? cached))
        {
            return cached;
        }

        if (locator < _log.BeginAddress)
        {
            return null;
        }

        byte[]? buffer = _files.TryRead(locator, out int length);
        if (buffer is null)
        {
            return null;
        }

        try
        {
            ReadOnlySpan<byte> record = buffer.AsSpan(0, length);
            if (record[1] != SpanLogRecord.TypeResource)
            {
                return null;
            }

            Resource resource = ResourceSpans.Parser.ParseFrom(SpanLogRecord.Payload(record, SpanLogRecord.TypeResource)).Resource ?? new Resource();
            CacheResource(locator, resource);
            return resource;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The encoded <c>Resource</c> of the resource record at <paramref name="locator"/>; empty when unreadable.</summary>
    private byte[] ReadResourceBytes(long locator)
    {
        if (locator < _log.BeginAddress)
        {
            return [];
        }

        byte[]? buffer = _files.TryRead(locator, out int length);
        if (buffer is null)
        {
            return [];
        }

        try
        {
            ReadOnlySpan<byte> record = buffer.AsSpan(0, length);
            return record[1] == SpanLogRecord.TypeResource ? ResourceField(SpanLogRecord.Payload(record, SpanLogRecord.TypeResource)).ToArray() : [];
        }
        catch (InvalidDataException)
        {
            return [];
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Field 1 (<c>resource</c>) of an encoded <c>ResourceSpans</c>; empty when absent.</summary>
    private static ReadOnlySpan<byte> ResourceField(ReadOnlySpan<byte> resourceSpans)
    {
        ReadOnlySpan<byte> resource = default;
        var reader = new ProtoReader(resourceSpans);
        while (!reader.End)
        {
            int field = reader.Tag(out int wireType);
            if (field == 1 && wireType == 2)
            {
                resource = reader.Bytes();
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return resource;
    }

    private void CacheResource(long locator, Resource resource)
    {
        if (_resources.Count >= ResourceCacheLimit)
        {
            _resources.Clear();
        }

        _resources[locator] = resource;
    }

    /// <summary>An appended request waiting for its commit to be indexed.</summary>
    private sealed class IndexWork
    {
        public IndexWork(OtlpSpanBatch batch, int spans)
        {
            Batch = batch;
            Locators = new long[spans];
            ResourceLocators = new long[batch.Resources.Length];
        }

        /// <summary>Completed once the work's postings are in the index and its spans with the observers.</summary>
        public TaskCompletionSource Indexed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public OtlpSpanBatch Batch { get; set; }

        public long[] Locators { get; }

        public long[] ResourceLocators { get; }

        public long End { get; set; }
    }

    /// <summary>Re-indexes the records at or after the checkpoint cookie (and verifies everything it is shown).</summary>
    private sealed class Replay : ISpanLogVisitor
    {
        private readonly FasterSpanStore _store;
        private readonly long _from;
        private long _keysFor = -1;
        private byte[] _resource = [];
        private SpanPostings.ResourceKeys _keys;

        public Replay(FasterSpanStore store, long from)
        {
            _store = store;
            _from = from;
        }

        public long Replayed { get; private set; }

        public void OnRecord(long address, byte type, ReadOnlySpan<byte> record)
        {
            bool index = address >= _from;
            if (!index && _store._options.Observers.Count == 0)
            {
                return;
            }

            if (type == SpanLogRecord.TypeResource)
            {
                ReadOnlySpan<byte> payload = SpanLogRecord.Payload(record, type);
                _store.CacheResource(address, ResourceSpans.Parser.ParseFrom(payload).Resource ?? new Resource());
                UseResource(address, ResourceField(payload).ToArray());
                if (index)
                {
                    Replayed++;
                    _store._catalog.AddResource(_resource);
                }

                return;
            }

            long resourceLocator = SpanLogRecord.ResourceLocator(record);
            if (resourceLocator != _keysFor)
            {
                UseResource(resourceLocator, _store.ReadResourceBytes(resourceLocator));
            }

            var scopeSpans = new ProtoReader(SpanLogRecord.Payload(record, type));
            while (!scopeSpans.End)
            {
                int field = scopeSpans.Tag(out int wireType);
                if (field != 2 || wireType != 2)
                {
                    scopeSpans.Skip(wireType);
                    continue;
                }

                ReadOnlySpan<byte> spanBytes = scopeSpans.Bytes();
                if (index)
                {
                    WireSpan span = WireSpan.Read(spanBytes);
                    SpanPostings.Collect(_keys, spanBytes, span, address, _store._batch);
                    _store._catalog.AddSpan(spanBytes, (long)span.StartTimeUnixNano);
                }

                _store.NotifyReplayed(address, resourceLocator, _resource, spanBytes);
            }

            if (index)
            {
                Replayed++;
            }

            if (_store._batch.PostingCount >= FlushPostingsAt)
            {
                _store._batch.FlushTo(_store._index);
            }
        }

        public void Flush()
        {
            _store._batch.FlushTo(_store._index);
            _store.FlushObservers(replayed: true);
        }

        private void UseResource(long locator, byte[] resource)
        {
            _keysFor = locator;
            _resource = resource;
            _keys = new SpanPostings.ResourceKeys(resource);
        }
    }

    private readonly struct LocatorSink : IPostingSink
    {
        private readonly List<long> _locators;
        private readonly long _from;
        private readonly long _to;
        private readonly long _begin;
        private readonly DroppedRanges _dropped;

        public LocatorSink(List<long> locators, long from, long to, long begin, DroppedRanges dropped)
        {
            _locators = locators;
            _from = from;
            _to = to;
            _begin = begin;
            _dropped = dropped;
        }

        public void Add(Posting posting)
        {
            if (posting.StartUnixNano >= _from && posting.StartUnixNano <= _to && posting.Locator >= _begin &&
                (_dropped.IsEmpty || !_dropped.Contains(posting.Locator)))
            {
                _locators.Add(posting.Locator);
            }
        }
    }

    private struct MinimumSink : IPostingSink
    {
        private readonly long _cutoff;

        public MinimumSink(long cutoff)
        {
            _cutoff = cutoff;
            Minimum = long.MaxValue;
        }

        public long Minimum { get; private set; }

        public void Add(Posting posting)
        {
            if (posting.StartUnixNano >= _cutoff && posting.Locator < Minimum)
            {
                Minimum = posting.Locator;
            }
        }
    }
}
