using FASTER.core;

namespace TraceLink.Storage.Assembly;

/// <summary>
/// The linker's FasterKV (byte keys → byte values, whole-value upserts) with one session. Not thread-safe:
/// <see cref="TraceGroupLinker"/> serialises every call.
/// </summary>
internal sealed class GroupTable : IDisposable
{
    private readonly IDevice _device;
    private readonly FasterKV<SpanByte, SpanByte> _kv;
    private readonly ClientSession<SpanByte, SpanByte, SpanByte, byte[], Empty, SpanByteFunctions_ByteArrayOutput<Empty>> _session;

    public GroupTable(string directory, long indexSizeBytes, long memorySizeBytes, long pageSizeBytes)
    {
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

    public unsafe byte[]? Read(ReadOnlySpan<byte> key)
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

    public unsafe void Upsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
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

    public unsafe void Delete(ReadOnlySpan<byte> key)
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

    /// <summary>Full checkpoint (index + log) carrying <paramref name="cookie"/>; the caller must quiesce the session.</summary>
    public async ValueTask CheckpointAsync(byte[] cookie, CancellationToken cancellationToken)
    {
        _kv.CommitCookie = cookie;
        var (success, _) = await _kv.TakeFullCheckpointAsync(CheckpointType.FoldOver, cancellationToken).ConfigureAwait(false);
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
}
