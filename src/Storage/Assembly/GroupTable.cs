using System.Runtime.InteropServices;

using FASTER.core;

namespace TraceLink.Storage.Assembly;

/// <summary>
/// The linker's FasterKV (byte keys → byte values, whole-value upserts) with one session, behind a write-back
/// cache: a batch of spans reads and rewrites the same few group, member and key records many times, so reads
/// are served from memory and each changed record reaches FASTER once per <see cref="Flush"/>. Not thread-safe:
/// <see cref="TraceGroupLinker"/> serialises every call and flushes before releasing its gate (and so before
/// every checkpoint). Arrays passed to <see cref="Upsert"/> belong to the table afterwards; an array returned by
/// <see cref="Read"/> may be the cached one and must be upserted again after it is changed.
/// </summary>
internal sealed class GroupTable : IDisposable
{
    private readonly Dictionary<GroupTableKey, Cached> _cache = [];
    private readonly List<GroupTableKey> _dirty = [];
    private readonly int _cacheLimit;
    private readonly IDevice _device;
    private readonly FasterKV<SpanByte, SpanByte> _kv;
    private readonly ClientSession<SpanByte, SpanByte, SpanByte, byte[], Empty, SpanByteFunctions_ByteArrayOutput<Empty>> _session;

    public GroupTable(string directory, long indexSizeBytes, long memorySizeBytes, long pageSizeBytes, int cacheLimit)
    {
        _cacheLimit = cacheLimit;
        Directory.CreateDirectory(directory);
        _device = Devices.CreateLogDevice(Path.Combine(directory, "hlog", "hlog.log"));
        _kv = new FasterKV<SpanByte, SpanByte>(new FasterKVSettings<SpanByte, SpanByte>
        {
            IndexSize = indexSizeBytes,
            LogDevice = _device,
            MemorySize = memorySizeBytes,
            PageSize = pageSizeBytes,
            SegmentSize = 1L << 30,
            MutableFraction = 0.9,
            CheckpointDir = Path.Combine(directory, "checkpoints"),
            RemoveOutdatedCheckpoints = true,
        });
        var checkpoints = Path.Combine(directory, "checkpoints");
        if (Directory.Exists(checkpoints) && Directory.EnumerateFileSystemEntries(checkpoints).Any())
        {
            try
            {
                _kv.Recover();
                RecoveredCookie = _kv.RecoveredCommitCookie;
            }
            catch (FasterException)
            {
                // No usable checkpoint: start empty and let the caller replay the span log from its start.
                RecoveredCookie = null;
            }
        }

        _session = _kv.For(new SpanByteFunctions_ByteArrayOutput<Empty>()).NewSession<SpanByteFunctions_ByteArrayOutput<Empty>>();
    }

    public byte[]? RecoveredCookie { get; }

    /// <summary>Records read or written since the cache was last emptied (diagnostics).</summary>
    public int CachedCount => _cache.Count;

    public byte[]? Read(in GroupTableKey key)
    {
        ref var cached = ref CollectionsMarshal.GetValueRefOrNullRef(_cache, key);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref cached))
        {
            return cached.Value;
        }

        Span<byte> bytes = stackalloc byte[GroupTableKey.MaxLength];
        var value = ReadStored(bytes[..key.WriteTo(bytes)]);
        _cache[key] = new Cached(value, Dirty: false);
        return value;
    }

    public void Upsert(in GroupTableKey key, byte[] value) => Set(key, value);

    public void Delete(in GroupTableKey key) => Set(key, null);

    /// <summary>Writes every changed record to FASTER; empties the cache when it has grown past its limit.</summary>
    public void Flush()
    {
        Span<byte> bytes = stackalloc byte[GroupTableKey.MaxLength];
        foreach (var key in _dirty)
        {
            ref var cached = ref CollectionsMarshal.GetValueRefOrNullRef(_cache, key);
            var length = key.WriteTo(bytes);
            if (cached.Value is null)
            {
                DeleteStored(bytes[..length]);
            }
            else
            {
                UpsertStored(bytes[..length], cached.Value);
            }

            cached = cached with { Dirty = false };
        }

        _dirty.Clear();
        if (_cache.Count > _cacheLimit)
        {
            _cache.Clear();
        }
    }

    private void Set(in GroupTableKey key, byte[]? value)
    {
        ref var cached = ref CollectionsMarshal.GetValueRefOrAddDefault(_cache, key, out _);
        if (!cached.Dirty)
        {
            _dirty.Add(key);
        }

        cached = new Cached(value, Dirty: true);
    }

    private unsafe byte[]? ReadStored(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            var spanKey = SpanByte.FromPointer(k, key.Length);
            byte[] output = null!;
            var status = _session.Read(ref spanKey, ref output);
            if (status.IsPending)
            {
                _session.CompletePendingWithOutputs(out var outputs, wait: true);
                using (outputs)
                {
                    while (outputs.Next())
                    {
                        status = outputs.Current.Status;
                        output = outputs.Current.Output;
                    }
                }
            }

            return status.Found ? output : null;
        }
    }

    private unsafe void UpsertStored(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            var spanKey = SpanByte.FromPointer(k, key.Length);
            var spanValue = SpanByte.FromPointer(v, value.Length);
            var status = _session.Upsert(ref spanKey, ref spanValue);
            if (status.IsPending)
            {
                _session.CompletePending(wait: true);
            }
        }
    }

    private unsafe void DeleteStored(ReadOnlySpan<byte> key)
    {
        fixed (byte* k = key)
        {
            var spanKey = SpanByte.FromPointer(k, key.Length);
            var status = _session.Delete(ref spanKey);
            if (status.IsPending)
            {
                _session.CompletePending(wait: true);
            }
        }
    }

    /// <summary>
    /// Checkpoint carrying <paramref name="cookie"/>: the hash table and log when <paramref name="full"/>, else only
    /// the hybrid log since the last one (recovery pairs it with the newest table checkpoint, as the span index does).
    /// The caller must quiesce the session and <see cref="Flush"/> first.
    /// </summary>
    public async ValueTask CheckpointAsync(byte[] cookie, bool full, CancellationToken cancellationToken)
    {
        _kv.CommitCookie = cookie;
        (bool success, Guid _) = full
            ? await _kv.TakeFullCheckpointAsync(CheckpointType.FoldOver, cancellationToken).ConfigureAwait(false)
            : await _kv.TakeHybridLogCheckpointAsync(CheckpointType.FoldOver, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!success)
        {
            throw new InvalidOperationException("The trace-group checkpoint did not complete.");
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _kv.Dispose();
        _device.Dispose();
    }

    private readonly record struct Cached(byte[]? Value, bool Dirty);
}
