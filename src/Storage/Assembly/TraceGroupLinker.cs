using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

using Google.Protobuf;

using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Assembly;

/// <summary>
/// Ingest-time trace assembly: merges each appended span into a durable trace group (union-find over
/// correlation keys, with the same false-join guards as the query-time search) kept in its own FasterKV
/// under <c>&lt;data&gt;/spans/groups/</c>, so that a trace lookup is one group read. Layout and synthetic
/// trace-id derivation: docs/format/trace-groups.md. Thread-safe (calls are serialised).
/// </summary>
public sealed class TraceGroupLinker : ISpanIndexObserver, IDisposable
{
    private const byte RecordVersion = 1;
    private const int SlotSize = 40;
    private const int MembersPerChunk = 64;
    private const int GroupRecordSize = 48;

    private const int FlagClient = 1;
    private const int FlagServer = 2;
    private const int FlagNoThreadRule = 8;
    private const int FlagXridReq = 16;
    private const int FlagXridResp = 32;

    private const int FullCheckpointEvery = 10;
    private const int ContextChars = 256;

    private readonly GroupTable _table;
    private readonly TraceAssemblerOptions _timing;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<LinkKey> _keys = [];
    private readonly List<long> _candidates = [];
    private readonly List<long> _path = [];
    private readonly List<long> _single = [0];
    private byte[] _material = new byte[256];
    private int _checkpoints;
    private bool _disposed;

    /// <summary>Opens (or creates) the trace-group index and recovers its last checkpoint.</summary>
    public TraceGroupLinker(TraceGroupLinkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _timing = options.Assembly;
        _table = new GroupTable(Path.Combine(options.DataDirectory, "spans", "groups"), options.IndexSizeBytes, options.MemorySizeBytes, options.PageSizeBytes, options.CacheRecords);
        var cookie = _table.RecoveredCookie;
        ReplayFrom = cookie is { Length: 8 } ? BinaryPrimitives.ReadInt64LittleEndian(cookie) : 0;
    }

    /// <inheritdoc />
    public long ReplayFrom { get; private set; }

    private enum LinkKind : byte
    {
        Trace = 1,
        TcpReq = 2,
        TcpResp = 3,
        Syscall = 4,
        Xrid = 5,
        Thread = 6,
    }

    /// <inheritdoc />
    public void OnSpanAppended(StoredSpan span) => Link(span);

    /// <inheritdoc />
    public void OnSpansAppended(AppendedSpans spans, bool replayed)
    {
        ArgumentNullException.ThrowIfNull(spans);
        Locked((spans, replayed), static (linker, state) =>
        {
            // Spans of one resource come together: their resource facts are read once.
            var resourceLocator = long.MinValue;
            SpanFacts? resource = null;
            for (var i = 0; i < state.spans.Count; i++)
            {
                if (resource is null || state.spans.ResourceLocator(i) != resourceLocator)
                {
                    resourceLocator = state.spans.ResourceLocator(i);
                    resource = SpanFacts.ForResource(state.spans.Resource(i));
                }

                // A span appended after opening has a locator no earlier run can have linked (only committed
                // spans are linked, and committed addresses are never reused), so only replays look it up.
                linker.LinkLocked(SpanFacts.From(state.spans.Locator(i), resource, state.spans.Span(i)), checkLinked: state.replayed);
            }

            return true;
        });
    }

    /// <summary>
    /// Merges <paramref name="span"/> into the trace group its correlation keys point to (creating one when none
    /// does) and returns the group id. Linking a span twice (log replay) returns its group and changes nothing.
    /// </summary>
    public long Link(StoredSpan span)
    {
        ArgumentNullException.ThrowIfNull(span);
        return Locked(SpanFacts.From(span), static (linker, facts) => linker.LinkLocked(facts, checkLinked: true));
    }

    /// <summary>The group id (a locator) of the span at <paramref name="locator"/>, or -1 when it was never linked.</summary>
    public long GroupOf(long locator) => Locked(locator, static (linker, locator) => linker.GroupOfLocked(locator));

    /// <summary>The group id of a real or synthetic trace id, or -1 when unknown.</summary>
    public long GroupOfTrace(ReadOnlySpan<byte> traceId) => Locked(traceId.ToArray(), static (linker, id) => linker.GroupOfTraceLocked(id));

    /// <summary>Adds the locators of every span in the group of <paramref name="groupId"/> to <paramref name="locators"/>.</summary>
    public void GetGroupSpans(long groupId, List<long> locators)
    {
        ArgumentNullException.ThrowIfNull(locators);
        Locked((groupId, locators), static (linker, state) =>
        {
            linker.AddMembers(linker.Find(state.groupId), state.locators);
            return true;
        });
    }

    /// <summary>Adds the spans of the trace's group to <paramref name="locators"/>; false when the trace id is unknown.</summary>
    public bool TryGetTraceSpans(ReadOnlySpan<byte> traceId, List<long> locators)
    {
        ArgumentNullException.ThrowIfNull(locators);
        return Locked((traceId: traceId.ToArray(), locators), static (linker, state) =>
        {
            var group = linker.GroupOfTraceLocked(state.traceId);
            if (group < 0)
            {
                return false;
            }

            linker.AddMembers(linker.Find(group), state.locators);
            return true;
        });
    }

    /// <summary>The trace id a group is served under: its SDK trace id, else the synthetic id of its earliest span.</summary>
    public byte[] TraceIdOf(long groupId) => Locked(groupId, static (linker, groupId) =>
    {
        var record = linker._table.Read(GroupTableKey.Group(linker.Find(groupId)));
        if (record is null)
        {
            return SyntheticIds.TraceIdFor(groupId);
        }

        var trace = record.AsSpan(32, 16);
        return trace.ContainsAnyExcept((byte)0) ? trace.ToArray() : SyntheticIds.TraceIdFor(ReadLong(record, 24));
    });

    /// <inheritdoc />
    public async ValueTask CheckpointAsync(long replayFrom, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var cookie = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(cookie, replayFrom);

            // No Link runs while the gate is held (and every Link flushed the table before releasing it), so the
            // checkpoint is an exact log position, not a CPR point inside a span.
            await _table.CheckpointAsync(cookie, _checkpoints++ % FullCheckpointEvery == 0, cancellationToken).ConfigureAwait(false);
            ReplayFrom = replayFrom;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _gate.Wait();
        try
        {
            if (!_disposed)
            {
                _disposed = true;
                _table.Dispose();
            }
        }
        finally
        {
            _gate.Release();
        }

        _gate.Dispose();
    }

    private TResult Locked<TState, TResult>(TState state, Func<TraceGroupLinker, TState, TResult> body)
    {
        // One FasterKV session serves every call, so calls are serialised; checkpoints hold the same gate.
        _gate.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                return body(this, state);
            }
            finally
            {
                _table.Flush();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private long LinkLocked(SpanFacts facts, bool checkLinked)
    {
        var spanKey = GroupTableKey.Span(facts.Locator);
        if (checkLinked && _table.Read(spanKey) is { } existing)
        {
            return Find(ReadLong(existing, 0));
        }

        _keys.Clear();
        CollectKeys(facts);
        _candidates.Clear();
        for (var i = 0; i < _keys.Count; i++)
        {
            var key = _keys[i];
            key.Record = _table.Read(key.Key);
            _keys[i] = key;
            if (key.Record is not null)
            {
                CollectRelated(facts, key, key.Record);
            }
        }

        var root = -1L;
        foreach (var candidate in _candidates)
        {
            var group = Find(candidate);
            if (group == root)
            {
                continue;
            }

            var record = _table.Read(GroupTableKey.Group(group));
            if (record is null || Conflicts(record, facts.TraceId))
            {
                continue;
            }

            root = root < 0 ? group : Union(root, group);
        }

        byte[] rootRecord;
        if (root < 0)
        {
            root = facts.Locator;
            rootRecord = new byte[GroupRecordSize];
            rootRecord[0] = RecordVersion;
            WriteLong(rootRecord, 8, root);
            WriteLong(rootRecord, 24, root);
        }
        else
        {
            rootRecord = _table.Read(GroupTableKey.Group(root))!;
            WriteLong(rootRecord, 24, Math.Min(ReadLong(rootRecord, 24), facts.Locator));
        }

        if (!facts.TraceId.IsEmpty && !rootRecord.AsSpan(32, 16).ContainsAnyExcept((byte)0))
        {
            facts.TraceId.Span.CopyTo(rootRecord.AsSpan(32, 16));
        }

        _single[0] = facts.Locator;
        AppendMembers(root, rootRecord, _single);
        var groupBytes = new byte[8];
        WriteLong(groupBytes, 0, root);
        _table.Upsert(spanKey, groupBytes);
        foreach (var key in _keys)
        {
            // A trace-id key is only ever read for its group: when it already names this group, rewriting its
            // single slot would change nothing a reader looks at.
            if (key.Kind == LinkKind.Trace && key.Record is { Length: >= SlotSize } record && ReadLong(record, 24) == root)
            {
                continue;
            }

            _table.Upsert(key.Key, WithSlot(key, facts, root));
        }

        return root;
    }

    private long GroupOfLocked(long locator)
    {
        var group = _table.Read(GroupTableKey.Span(locator));
        return group is null ? -1 : Find(ReadLong(group, 0));
    }

    private long GroupOfTraceLocked(ReadOnlySpan<byte> traceId)
    {
        if (SyntheticIds.TryParseTraceId(traceId, out var locator))
        {
            return GroupOfLocked(locator);
        }

        if (traceId.Length != 16)
        {
            return -1;
        }

        var record = _table.Read(RecordKey(LinkKind.Trace, traceId));
        return record is null || record.Length < SlotSize ? -1 : Find(ReadLong(record, 24));
    }

    private void CollectKeys(SpanFacts facts)
    {
        if (!facts.TraceId.IsEmpty)
        {
            _keys.Add(new LinkKey(LinkKind.Trace, RecordKey(LinkKind.Trace, facts.TraceId.Span), 1, 0));
        }

        if (!facts.IsSensor)
        {
            return;
        }

        // "Syscall" in the flags marks spans the thread rule must not use (see Relations.ThreadEligible).
        var flags = (facts.Side == TapSide.Client ? FlagClient : FlagServer)
            | (facts.HasSyscallIds || (facts.Side == TapSide.Client && (facts.XridReq.Length > 0 || facts.XridResp.Length > 0)) ? FlagNoThreadRule : 0);
        Span<char> socket = stackalloc char[ContextChars];
        socket = facts.HasSocket ? CanonicalSocket(facts, socket) : [];
        if (facts.HasReqSeq)
        {
            _keys.Add(new LinkKey(LinkKind.TcpReq, RecordKey(LinkKind.TcpReq, Material(facts.ReqSeq, socket)), 2, flags));
        }

        if (facts.HasRespSeq)
        {
            _keys.Add(new LinkKey(LinkKind.TcpResp, RecordKey(LinkKind.TcpResp, Material(facts.RespSeq, socket)), 2, flags));
        }

        if (facts.Pid >= 0 && !facts.SyscallTerminal)
        {
            Span<char> process = stackalloc char[ContextChars];
            process = ProcessContext(facts, process);
            if (facts.SysReq != 0)
            {
                _keys.Add(new LinkKey(LinkKind.Syscall, RecordKey(LinkKind.Syscall, Material(facts.SysReq, process)), 4, flags));
            }

            if (facts.SysResp != 0 && facts.SysResp != facts.SysReq)
            {
                _keys.Add(new LinkKey(LinkKind.Syscall, RecordKey(LinkKind.Syscall, Material(facts.SysResp, process)), 4, flags));
            }
        }

        if (facts.XridReq.Length > 0)
        {
            var sides = FlagXridReq | (string.Equals(facts.XridReq, facts.XridResp, StringComparison.Ordinal) ? FlagXridResp : 0);
            _keys.Add(new LinkKey(LinkKind.Xrid, RecordKey(LinkKind.Xrid, Material(facts.XridReq)), 4, flags | sides));
        }

        if (facts.XridResp.Length > 0 && !string.Equals(facts.XridReq, facts.XridResp, StringComparison.Ordinal))
        {
            _keys.Add(new LinkKey(LinkKind.Xrid, RecordKey(LinkKind.Xrid, Material(facts.XridResp)), 4, flags | FlagXridResp));
        }

        if (facts.Pid >= 0 && facts.Tid >= 0)
        {
            Span<char> thread = stackalloc char[ContextChars];
            thread = ProcessContext(facts, thread);
            _keys.Add(new LinkKey(LinkKind.Thread, RecordKey(LinkKind.Thread, Material(facts.Tid, thread)), 16, flags));
        }
    }

    private void CollectRelated(SpanFacts facts, LinkKey key, byte[] record)
    {
        var tolerance = _timing.CrossHostToleranceNanos;
        var slack = _timing.SlackNanos;
        var maxTrace = _timing.MaxTraceNanos;
        var self = key.Flags;
        var slots = record.Length / SlotSize;
        var coveringServers = 0;
        var coveringEligible = -1L;
        for (var i = 0; i < slots; i++)
        {
            var slot = record.AsSpan(i * SlotSize, SlotSize);
            var start = ReadLong(slot, 8);
            var end = ReadLong(slot, 16);
            var group = ReadLong(slot, 24);
            var flags = BinaryPrimitives.ReadInt32LittleEndian(slot[32..]);
            var opposite = ((self & FlagClient) != 0 && (flags & FlagServer) != 0) || ((self & FlagServer) != 0 && (flags & FlagClient) != 0);
            switch (key.Kind)
            {
                case LinkKind.Trace:
                    _candidates.Add(group);
                    break;
                case LinkKind.TcpReq:
                    if (opposite && Math.Abs(start - facts.Start) <= tolerance)
                    {
                        _candidates.Add(group);
                    }

                    break;
                case LinkKind.TcpResp:
                    if (opposite && Math.Abs(end - facts.End) <= tolerance)
                    {
                        _candidates.Add(group);
                    }

                    break;
                case LinkKind.Syscall:
                    if ((flags & FlagServer) != 0 && (self & FlagServer) != 0)
                    {
                        break;
                    }

                    if ((flags & FlagServer) != 0 ? start - slack <= facts.Start && facts.End <= end + slack
                        : (self & FlagServer) != 0 ? facts.Start - slack <= start && end <= facts.End + slack
                        : start <= facts.End + maxTrace && facts.Start <= end + maxTrace)
                    {
                        _candidates.Add(group);
                    }

                    break;
                case LinkKind.Xrid:
                    if ((((self & FlagXridReq) != 0 && (flags & FlagXridResp) != 0) || ((self & FlagXridResp) != 0 && (flags & FlagXridReq) != 0))
                        && start <= facts.End + maxTrace && facts.Start <= end + maxTrace)
                    {
                        _candidates.Add(group);
                    }

                    break;
                case LinkKind.Thread:
                    if ((self & FlagClient) != 0 && (flags & FlagServer) != 0 && start - slack <= facts.Start && facts.End <= end + slack)
                    {
                        coveringServers++;
                        if ((self & FlagNoThreadRule) == 0 && (flags & FlagNoThreadRule) == 0)
                        {
                            coveringEligible = group;
                        }
                    }
                    else if ((self & FlagServer) != 0 && (flags & FlagClient) != 0 && (self & FlagNoThreadRule) == 0 && (flags & FlagNoThreadRule) == 0
                        && facts.Start - slack <= start && end <= facts.End + slack && !OtherServerCovers(record, start, end, slack))
                    {
                        _candidates.Add(group);
                    }

                    break;
                default:
                    break;
            }
        }

        // The thread rule only links a call to the one server span of its thread that covers it.
        if (key.Kind == LinkKind.Thread && coveringServers == 1 && coveringEligible >= 0)
        {
            _candidates.Add(coveringEligible);
        }
    }

    private static bool OtherServerCovers(byte[] record, long start, long end, long slack)
    {
        for (var i = 0; i < record.Length / SlotSize; i++)
        {
            var slot = record.AsSpan(i * SlotSize, SlotSize);
            if ((BinaryPrimitives.ReadInt32LittleEndian(slot[32..]) & FlagServer) != 0
                && ReadLong(slot, 8) - slack <= start && end <= ReadLong(slot, 16) + slack)
            {
                return true;
            }
        }

        return false;
    }

    private static byte[] WithSlot(LinkKey key, SpanFacts facts, long group)
    {
        var old = key.Record ?? [];
        var count = old.Length / SlotSize;
        byte[] record;
        int target;
        if (count < key.Capacity)
        {
            record = new byte[(count + 1) * SlotSize];
            old.CopyTo(record, 0);
            target = count;
        }
        else
        {
            // Full ring: the span that ended first is the least likely partner of later spans. The record came
            // from the table's cache, which lets it be changed in place before it is upserted again.
            record = old;
            target = 0;
            for (var i = 1; i < count; i++)
            {
                if (ReadLong(record, (i * SlotSize) + 16) < ReadLong(record, (target * SlotSize) + 16))
                {
                    target = i;
                }
            }
        }

        var slot = record.AsSpan(target * SlotSize, SlotSize);
        WriteLong(slot, 0, facts.Locator);
        WriteLong(slot, 8, facts.Start);
        WriteLong(slot, 16, facts.End);
        WriteLong(slot, 24, group);
        BinaryPrimitives.WriteInt32LittleEndian(slot[32..], key.Flags);
        return record;
    }

    private long Find(long group)
    {
        _path.Clear();
        var current = group;
        while (true)
        {
            var record = _table.Read(GroupTableKey.Group(current));
            if (record is null)
            {
                break;
            }

            var parent = ReadLong(record, 8);
            if (parent == current)
            {
                break;
            }

            _path.Add(current);
            current = parent;
        }

        // Path compression keeps later finds at one or two reads.
        if (_path.Count > 1)
        {
            foreach (var node in _path)
            {
                var record = _table.Read(GroupTableKey.Group(node))!;
                WriteLong(record, 8, current);
                _table.Upsert(GroupTableKey.Group(node), record);
            }
        }

        return current;
    }

    private long Union(long a, long b)
    {
        var recordA = _table.Read(GroupTableKey.Group(a))!;
        var recordB = _table.Read(GroupTableKey.Group(b))!;
        var traceB = recordB.AsSpan(32, 16);
        if (traceB.ContainsAnyExcept((byte)0) && Conflicts(recordA, ByteString.CopyFrom(traceB)))
        {
            return a;
        }

        // The larger group absorbs the smaller so members are copied O(n log n) times in total.
        var (big, bigRecord, small, smallRecord) = ReadLong(recordA, 16) >= ReadLong(recordB, 16) ? (a, recordA, b, recordB) : (b, recordB, a, recordA);
        var moved = new List<long>((int)ReadLong(smallRecord, 16));
        AddMembers(small, moved);
        WriteLong(bigRecord, 24, Math.Min(ReadLong(bigRecord, 24), ReadLong(smallRecord, 24)));
        if (!bigRecord.AsSpan(32, 16).ContainsAnyExcept((byte)0))
        {
            smallRecord.AsSpan(32, 16).CopyTo(bigRecord.AsSpan(32, 16));
        }

        AppendMembers(big, bigRecord, moved);
        var chunks = (ReadLong(smallRecord, 16) + MembersPerChunk - 1) / MembersPerChunk;
        for (var chunk = 0; chunk < chunks; chunk++)
        {
            _table.Delete(GroupTableKey.Members(small, chunk));
        }

        WriteLong(smallRecord, 8, big);
        WriteLong(smallRecord, 16, 0);
        _table.Upsert(GroupTableKey.Group(small), smallRecord);
        return big;
    }

    private static bool Conflicts(byte[] groupRecord, ByteString traceId)
    {
        var trace = groupRecord.AsSpan(32, 16);
        return !traceId.IsEmpty && trace.ContainsAnyExcept((byte)0) && !trace.SequenceEqual(traceId.Span);
    }

    /// <summary>Appends members to the group's last chunk(s) and writes the group record with the new count.</summary>
    private void AppendMembers(long group, byte[] groupRecord, List<long> members)
    {
        var count = ReadLong(groupRecord, 16);
        var index = 0;
        while (index < members.Count)
        {
            var chunk = count / MembersPerChunk;
            var used = (int)(count % MembersPerChunk);
            var take = Math.Min(MembersPerChunk - used, members.Count - index);
            var old = used == 0 ? null : _table.Read(GroupTableKey.Members(group, chunk));
            var value = new byte[(used + take) * 8];
            old?.AsSpan(0, used * 8).CopyTo(value);
            for (var i = 0; i < take; i++)
            {
                WriteLong(value, (used + i) * 8, members[index + i]);
            }

            _table.Upsert(GroupTableKey.Members(group, chunk), value);
            index += take;
            count += take;
        }

        WriteLong(groupRecord, 16, count);
        _table.Upsert(GroupTableKey.Group(group), groupRecord);
    }

    private void AddMembers(long group, List<long> locators)
    {
        var record = _table.Read(GroupTableKey.Group(group));
        if (record is null)
        {
            return;
        }

        var count = ReadLong(record, 16);
        for (long chunk = 0; chunk * MembersPerChunk < count; chunk++)
        {
            var value = _table.Read(GroupTableKey.Members(group, chunk));
            if (value is null)
            {
                continue;
            }

            for (var offset = 0; offset + 8 <= value.Length; offset += 8)
            {
                locators.Add(ReadLong(value, offset));
            }
        }
    }

    /// <summary><c>host.name</c> + "\n" + pid, in <paramref name="buffer"/> when it fits (else a new string's chars).</summary>
    private static Span<char> ProcessContext(SpanFacts facts, Span<char> buffer)
    {
        var context = new ContextWriter(buffer);
        context.Append(facts.Host);
        context.Append('\n');
        context.Append(facts.Pid);
        return context.Overflow ? (facts.Host + "\n" + facts.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToCharArray() : context.Written;
    }

    /// <summary>The two endpoints <c>ip:port</c>, ordered (ordinal) so both ends of a connection produce the same key.</summary>
    private static Span<char> CanonicalSocket(SpanFacts facts, Span<char> buffer)
    {
        Span<char> local = stackalloc char[ContextChars / 2];
        Span<char> peer = stackalloc char[ContextChars / 2];
        var localWriter = new ContextWriter(local);
        localWriter.Append(facts.LocalAddress);
        localWriter.Append(':');
        localWriter.Append(facts.LocalPort);
        var peerWriter = new ContextWriter(peer);
        peerWriter.Append(facts.PeerAddress);
        peerWriter.Append(':');
        peerWriter.Append(facts.PeerPort);
        if (localWriter.Overflow || peerWriter.Overflow)
        {
            return SocketText(facts).ToCharArray();
        }

        // Ordinal char comparison, as string.CompareOrdinal orders the two texts.
        var localFirst = ((ReadOnlySpan<char>)localWriter.Written).SequenceCompareTo(peerWriter.Written) <= 0;
        var socket = new ContextWriter(buffer);
        socket.Append(localFirst ? localWriter.Written : peerWriter.Written);
        socket.Append('|');
        socket.Append(localFirst ? peerWriter.Written : localWriter.Written);
        return socket.Overflow ? SocketText(facts).ToCharArray() : socket.Written;
    }

    private static string SocketText(SpanFacts facts)
    {
        var local = facts.LocalAddress + ":" + facts.LocalPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var peer = facts.PeerAddress + ":" + facts.PeerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return string.CompareOrdinal(local, peer) <= 0 ? local + "|" + peer : peer + "|" + local;
    }

    private ReadOnlySpan<byte> Material(long value, ReadOnlySpan<char> context)
    {
        var length = 8 + Encoding.UTF8.GetByteCount(context);
        if (_material.Length < length)
        {
            _material = new byte[Math.Max(length, _material.Length * 2)];
        }

        BinaryPrimitives.WriteInt64BigEndian(_material, value);
        Encoding.UTF8.GetBytes(context, _material.AsSpan(8));
        return _material.AsSpan(0, length);
    }

    private ReadOnlySpan<byte> Material(string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        if (_material.Length < length)
        {
            _material = new byte[Math.Max(length, _material.Length * 2)];
        }

        return _material.AsSpan(0, Encoding.UTF8.GetBytes(text, _material));
    }

    private static GroupTableKey RecordKey(LinkKind kind, ReadOnlySpan<byte> material) => GroupTableKey.Link((byte)kind, XxHash128.HashToUInt128(material));

    private static long ReadLong(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadInt64LittleEndian(bytes[offset..]);

    private static void WriteLong(Span<byte> bytes, int offset, long value) => BinaryPrimitives.WriteInt64LittleEndian(bytes[offset..], value);

    /// <summary>Appends text and integers into a fixed buffer; <see cref="Overflow"/> when they did not fit.</summary>
    private ref struct ContextWriter(Span<char> buffer)
    {
        private readonly Span<char> _buffer = buffer;
        private int _length;
        private bool _overflow;

        public readonly bool Overflow => _overflow;

        public readonly Span<char> Written => _buffer[.._length];

        public void Append(scoped ReadOnlySpan<char> text)
        {
            if (!_overflow && text.TryCopyTo(_buffer[_length..]))
            {
                _length += text.Length;
            }
            else
            {
                _overflow = true;
            }
        }

        public void Append(char c)
        {
            if (!_overflow && _length < _buffer.Length)
            {
                _buffer[_length++] = c;
            }
            else
            {
                _overflow = true;
            }
        }

        public void Append(long value)
        {
            if (!_overflow && value.TryFormat(_buffer[_length..], out var written, default, System.Globalization.CultureInfo.InvariantCulture))
            {
                _length += written;
            }
            else
            {
                _overflow = true;
            }
        }
    }

    private struct LinkKey(LinkKind kind, GroupTableKey key, int capacity, int flags)
    {
        public readonly LinkKind Kind = kind;
        public readonly GroupTableKey Key = key;
        public readonly int Capacity = capacity;
        public readonly int Flags = flags;
        public byte[]? Record;
    }
}
