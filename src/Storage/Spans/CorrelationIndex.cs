using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;

using FASTER.core;

namespace TraceLink.Storage.Spans;

/// <summary>
/// The correlation index: FasterKV from <c>base key | chunk (u32 BE)</c> to a bounded posting chunk. One writer
/// session (callers serialise writes) and a pool of reader sessions (FASTER sessions are single-threaded).
/// </summary>
internal sealed class CorrelationIndex : IDisposable
{
    private const int MaxChunks = 1 << 20;
    private readonly FasterKV<SpanByte, SpanByte> _kv;
    private readonly IDevice _device;
    private readonly PostingFunctions _functions = new();
    private readonly ClientSession<SpanByte, SpanByte, PostingInput, PostingOutput, Empty, PostingFunctions> _writer;
    private readonly ConcurrentBag<ClientSession<SpanByte, SpanByte, PostingInput, PostingOutput, Empty, PostingFunctions>> _readers = [];
    private readonly Dictionary<ulong, int> _lastChunk = [];
    private readonly int _maxPerChunk;

    public CorrelationIndex(string directory, SpanStoreOptions options)
    {
        _maxPerChunk = options.MaxPostingsPerChunk;
        _device = Devices.CreateLogDevice(Path.Combine(directory, "hlog", "index.log"));
        _kv = new FasterKV<SpanByte, SpanByte>(new FasterKVSettings<SpanByte, SpanByte>
        {
            IndexSize = options.IndexTableSize,
            LogDevice = _device,
            MemorySize = options.IndexMemorySize,
            PageSize = options.IndexPageSize,
            SegmentSize = options.IndexSegmentSize,
            MutableFraction = 0.9,
            CheckpointDir = Path.Combine(directory, "checkpoints"),
            RemoveOutdatedCheckpoints = true,
            TryRecoverLatest = false,
        });
        _writer = NewSession();
    }

    public int MaxPerChunk => _maxPerChunk;

    /// <summary>Recovers the newest checkpoint and returns its commit cookie, or null when there is none.</summary>
    public byte[]? TryRecover()
    {
        try
        {
            _kv.Recover();
            return _kv.RecoveredCommitCookie;
        }
        catch (FasterException)
        {
            return null;
        }
    }

    public async ValueTask<bool> CheckpointAsync(byte[] cookie, bool full)
    {
        _kv.CommitCookie = cookie;
        (bool ok, _) = full
            ? await _kv.TakeFullCheckpointAsync(CheckpointType.FoldOver).ConfigureAwait(false)
            : await _kv.TakeHybridLogCheckpointAsync(CheckpointType.FoldOver).ConfigureAwait(false);
        return ok;
    }

    /// <summary>Appends ascending postings to <paramref name="baseKey"/>, continuing in later chunks when one fills up. Writer only.</summary>
    public unsafe void Append(ReadOnlySpan<byte> baseKey, ulong baseKeyHash, Posting[] pinnedPostings, int count)
    {
        _lastChunk.TryGetValue(baseKeyHash, out int chunk);
        int startChunk = chunk;
        Span<byte> key = stackalloc byte[baseKey.Length + 4];
        baseKey.CopyTo(key);
        int done = 0;
        fixed (byte* keyPtr = key)
        fixed (Posting* items = pinnedPostings)
        {
            while (done < count && chunk < MaxChunks)
            {
                BinaryPrimitives.WriteUInt32BigEndian(key[baseKey.Length..], (uint)chunk);
                var spanKey = SpanByte.FromPointer(keyPtr, key.Length);
                var input = new PostingInput { Items = items + done, Count = count - done, MaxPerChunk = _maxPerChunk };
                PostingOutput output = default;
                Status status = _writer.RMW(ref spanKey, ref input, ref output);
                if (status.IsPending)
                {
                    _writer.CompletePendingWithOutputs(out var completed, wait: true);
                    using (completed)
                    {
                        while (completed.Next())
                        {
                            output = completed.Current.Output;
                        }
                    }
                }

                done += output.Consumed;
                if (done < count)
                {
                    chunk++;
                }
            }
        }

        if (chunk != startChunk)
        {
            if (_lastChunk.Count > 100_000)
            {
                // Old time buckets never grow again; forgetting them only costs a probe through full chunks.
                _lastChunk.Clear();
            }

            _lastChunk[baseKeyHash] = chunk;
        }
    }

    /// <summary>
    /// Calls <paramref name="sink"/> for every posting stored under <paramref name="baseKey"/>, chunk by chunk, in
    /// append order. Thread-safe.
    /// </summary>
    public unsafe void Read<TSink>(ReadOnlySpan<byte> baseKey, ref TSink sink)
        where TSink : struct, IPostingSink
    {
        if (!_readers.TryTake(out var session))
        {
            session = NewSession();
        }

        PostingOutput output = default;
        try
        {
            Span<byte> key = stackalloc byte[baseKey.Length + 4];
            baseKey.CopyTo(key);
            fixed (byte* keyPtr = key)
            {
                for (int chunk = 0; chunk < MaxChunks; chunk++)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(key[baseKey.Length..], (uint)chunk);
                    var spanKey = SpanByte.FromPointer(keyPtr, key.Length);
                    PostingInput input = default;
                    output.Count = 0;
                    Status status = session.Read(ref spanKey, ref input, ref output);
                    if (status.IsPending)
                    {
                        session.CompletePendingWithOutputs(out var completed, wait: true);
                        using (completed)
                        {
                            while (completed.Next())
                            {
                                status = completed.Current.Status;
                                output = completed.Current.Output;
                            }
                        }
                    }

                    if (!status.Found)
                    {
                        break;
                    }

                    for (int i = 0; i < output.Count; i++)
                    {
                        sink.Add(output.Buffer![i]);
                    }

                    if (output.Count < _maxPerChunk)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            if (output.Buffer is not null)
            {
                ArrayPool<Posting>.Shared.Return(output.Buffer);
            }

            _readers.Add(session);
        }
    }

    /// <summary>Hybrid-log begin address (moves forward when compaction drops expired chunks).</summary>
    public long LogBeginAddress => _kv.Log.BeginAddress;

    /// <summary>
    /// Compacts the read-only part of the hybrid log, dropping last chunks whose postings all lie below
    /// <paramref name="spanLogBegin"/>, and deletes the freed index segments. Full chunks are kept (see spanlog.md).
    /// </summary>
    public long Compact(long spanLogBegin)
    {
        long until = _kv.Log.SafeReadOnlyAddress;
        if (until <= _kv.Log.BeginAddress)
        {
            return _kv.Log.BeginAddress;
        }

        using (var session = NewSession())
        {
            session.Compact(until, CompactionType.Scan, new ExpiredChunks(spanLogBegin, _maxPerChunk));
        }

        _kv.Log.Truncate();
        return _kv.Log.BeginAddress;
    }

    public void Dispose()
    {
        _writer.Dispose();
        while (_readers.TryTake(out var session))
        {
            session.Dispose();
        }

        _kv.Dispose();
        _device.Dispose();
    }

    private ClientSession<SpanByte, SpanByte, PostingInput, PostingOutput, Empty, PostingFunctions> NewSession() =>
        _kv.For(_functions).NewSession<PostingFunctions>(
            sessionVariableLengthStructSettings: new SessionVariableLengthStructSettings<SpanByte, PostingInput> { valueLength = new PostingLength() });
}

/// <summary>
/// A chunk is dropped when it is its key's last chunk (not full, so every earlier chunk is full and older) and its
/// newest posting is below the span log's begin address. Dropping an earlier, full chunk would hide later ones
/// from readers, which walk chunks from 0.
/// </summary>
internal readonly unsafe struct ExpiredChunks : ICompactionFunctions<SpanByte, SpanByte>
{
    private readonly long _spanLogBegin;
    private readonly int _maxPerChunk;

    public ExpiredChunks(long spanLogBegin, int maxPerChunk)
    {
        _spanLogBegin = spanLogBegin;
        _maxPerChunk = maxPerChunk;
    }

    public bool IsDeleted(ref SpanByte key, ref SpanByte value)
    {
        int count = *(int*)value.ToPointer();
        if (count <= 0 || count >= _maxPerChunk)
        {
            return false;
        }

        long last = ((Posting*)(value.ToPointer() + 8))[count - 1].Locator;
        return last < _spanLogBegin;
    }
}

/// <summary>Receives postings read from the index (a struct so the JIT specialises the read loop).</summary>
internal interface IPostingSink
{
    void Add(Posting posting);
}
