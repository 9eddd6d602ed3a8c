using System.IO.Hashing;

namespace TraceLink.Storage.Spans;

/// <summary>
/// Groups the postings of many spans by index key before they reach FasterKV, so a key shared by a whole batch
/// (service, status, minute, trace id) costs one RMW instead of one per span. Buffers are reused between batches.
/// </summary>
internal sealed class PostingBatch
{
    private byte[] _arena = new byte[1 << 16];
    private int _arenaUsed;
    private KeyEntry[] _keys = new KeyEntry[1024];
    private int _keyCount;
    private int[] _slots = new int[2048];
    private Posting[] _postings = new Posting[4096];
    private int[] _next = new int[4096];
    private int _postingCount;
    private Posting[] _gather = GC.AllocateArray<Posting>(1024, pinned: true);

    /// <summary>Scratch space for building one key (callers fill it, then call <see cref="Add"/>).</summary>
    public byte[] Scratch { get; private set; } = new byte[1024];

    public int PostingCount => _postingCount;

    public byte[] EnsureScratch(int length)
    {
        if (Scratch.Length < length)
        {
            Scratch = new byte[Math.Max(length, Scratch.Length * 2)];
        }

        return Scratch;
    }

    public void Add(ReadOnlySpan<byte> key, long locator, long startUnixNano)
    {
        ulong hash = XxHash3.HashToUInt64(key);
        int mask = _slots.Length - 1;
        int slot = (int)hash & mask;
        int keyIndex;
        while (true)
        {
            int candidate = _slots[slot] - 1;
            if (candidate < 0)
            {
                keyIndex = NewKey(key, hash, slot);
                break;
            }

            ref KeyEntry entry = ref _keys[candidate];
            if (entry.Hash == hash && _arena.AsSpan(entry.Offset, entry.Length).SequenceEqual(key))
            {
                keyIndex = candidate;
                break;
            }

            slot = (slot + 1) & mask;
        }

        if (_postingCount == _postings.Length)
        {
            Array.Resize(ref _postings, _postings.Length * 2);
            Array.Resize(ref _next, _next.Length * 2);
        }

        int index = _postingCount++;
        _postings[index] = new Posting(locator, startUnixNano);
        _next[index] = -1;
        ref KeyEntry key2 = ref _keys[keyIndex];
        if (key2.Tail >= 0)
        {
            _next[key2.Tail] = index;
        }
        else
        {
            key2.Head = index;
        }

        key2.Tail = index;
        key2.Count++;
    }

    /// <summary>Appends every grouped key's postings (in insertion order) to the index and clears the batch.</summary>
    public void FlushTo(CorrelationIndex index)
    {
        for (int k = 0; k < _keyCount; k++)
        {
            ref KeyEntry entry = ref _keys[k];
            if (_gather.Length < entry.Count)
            {
                _gather = GC.AllocateArray<Posting>((int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)entry.Count), pinned: true);
            }

            int n = 0;
            for (int p = entry.Head; p >= 0; p = _next[p])
            {
                _gather[n++] = _postings[p];
            }

            index.Append(_arena.AsSpan(entry.Offset, entry.Length), entry.Hash, _gather, n);
        }

        Clear();
    }

    public void Clear()
    {
        Array.Clear(_slots);
        _keyCount = 0;
        _arenaUsed = 0;
        _postingCount = 0;
    }

    private int NewKey(ReadOnlySpan<byte> key, ulong hash, int slot)
    {
        if (_arenaUsed + key.Length > _arena.Length)
        {
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaUsed + key.Length));
        }

        key.CopyTo(_arena.AsSpan(_arenaUsed));
        if (_keyCount == _keys.Length)
        {
            Array.Resize(ref _keys, _keys.Length * 2);
        }

        int keyIndex = _keyCount++;
        _keys[keyIndex] = new KeyEntry { Offset = _arenaUsed, Length = key.Length, Hash = hash, Head = -1, Tail = -1 };
        _arenaUsed += key.Length;
        _slots[slot] = keyIndex + 1;
        if (_keyCount * 2 > _slots.Length)
        {
            Rehash();
        }

        return keyIndex;
    }

    private void Rehash()
    {
        _slots = new int[_slots.Length * 2];
        int mask = _slots.Length - 1;
        for (int k = 0; k < _keyCount; k++)
        {
            int slot = (int)_keys[k].Hash & mask;
            while (_slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            _slots[slot] = k + 1;
        }
    }

    private struct KeyEntry
    {
        public int Offset;
        public int Length;
        public ulong Hash;
        public int Head;
        public int Tail;
        public int Count;
    }
}
