using System.Buffers;
using System.Buffers.Binary;

using Microsoft.Win32.SafeHandles;

namespace TraceLink.Storage.Spans;

/// <summary>
/// Reads committed span-log entries straight from FasterLog's segment files (<c>&lt;base&gt;.&lt;segment&gt;</c>, logical
/// address = segment * SegmentSize + file offset, entry = 4-byte length + payload padded to 4 bytes, zero length =
/// rest of page unused). FasterLog only offers asynchronous random reads; these are synchronous positional reads
/// served by the page cache, and every record is verified by its own checksum, so a misplaced or torn read is
/// rejected rather than served.
/// </summary>
internal sealed class SpanLogFiles : IDisposable
{
    private const int EntryHeader = 4;
    private const int FirstRead = 4096;
    private readonly string _basePath;
    private readonly int _segmentBits;
    private readonly long _pageSize;
    private readonly Dictionary<long, SafeFileHandle> _handles = [];
    private readonly Lock _lock = new();

    public SpanLogFiles(string basePath, long segmentSize, long pageSize)
    {
        _basePath = basePath;
        _segmentBits = System.Numerics.BitOperations.Log2((ulong)segmentSize);
        _pageSize = pageSize;
    }

    public long PageSize => _pageSize;

    public static int EntrySize(int length) => EntryHeader + ((length + 3) & ~3);

    /// <summary>
    /// Reads and validates the record at <paramref name="address"/>. Returns a rented buffer holding the record at
    /// [0, length) or null when the address does not hold a valid record.
    /// </summary>
    public byte[]? TryRead(long address, out int length)
    {
        length = 0;
        SafeFileHandle? handle = GetHandle(address >> _segmentBits);
        if (handle is null)
        {
            return null;
        }

        long offset = address & ((1L << _segmentBits) - 1);
        long pageRemaining = _pageSize - (address & (_pageSize - 1));
        byte[] buffer = ArrayPool<byte>.Shared.Rent(FirstRead);
        try
        {
            int want = (int)Math.Min(FirstRead, pageRemaining);
            int got = RandomAccess.Read(handle, buffer.AsSpan(0, want), offset);
            if (got < EntryHeader + SpanLogRecord.CommonHeaderSize)
            {
                return Return(buffer);
            }

            int entryLength = BinaryPrimitives.ReadInt32LittleEndian(buffer);
            if (entryLength < SpanLogRecord.CommonHeaderSize || EntryHeader + (long)entryLength > pageRemaining)
            {
                return Return(buffer);
            }

            byte[] record = ArrayPool<byte>.Shared.Rent(entryLength);
            int have = Math.Min(got - EntryHeader, entryLength);
            buffer.AsSpan(EntryHeader, have).CopyTo(record);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = record;
            while (have < entryLength)
            {
                int n = RandomAccess.Read(handle, record.AsSpan(have, entryLength - have), offset + EntryHeader + have);
                if (n <= 0)
                {
                    return Return(record);
                }

                have += n;
            }

            if (!SpanLogRecord.IsValid(record.AsSpan(0, entryLength), out _))
            {
                return Return(record);
            }

            length = entryLength;
            return record;
        }
        catch (ObjectDisposedException)
        {
            // Retention closed the segment while we read it; the span is gone.
            return Return(buffer);
        }
        catch (IOException)
        {
            return Return(buffer);
        }
    }

    /// <summary>
    /// Visits every record in [<paramref name="from"/>, <paramref name="to"/>) in log order, skipping
    /// <paramref name="dropped"/> ranges. Returns the address of the first entry that is missing, torn or fails its
    /// checksum, or -1 when the whole range is sound.
    /// </summary>
    public long Scan(long from, long to, DroppedRanges dropped, ISpanLogVisitor visitor)
    {
        byte[] page = ArrayPool<byte>.Shared.Rent((int)Math.Min(_pageSize, int.MaxValue));
        try
        {
            long address = dropped.Skip(from);
            while (address < to)
            {
                long pageStart = address & ~(_pageSize - 1);
                long pageLimit = pageStart + _pageSize;
                long readEnd = Math.Min(pageLimit, to);
                SafeFileHandle? handle = GetHandle(address >> _segmentBits);
                if (handle is null)
                {
                    return address;
                }

                int got = ReadFully(handle, page.AsSpan(0, (int)(readEnd - address)), address & ((1L << _segmentBits) - 1));
                long fileEnd = address + got;
                long cursor = address;
                long next = -1;
                while (cursor < readEnd)
                {
                    long skipped = dropped.Skip(cursor);
                    if (skipped != cursor)
                    {
                        next = skipped;
                        break;
                    }

                    if (cursor + EntryHeader > pageLimit)
                    {
                        next = pageLimit;
                        break;
                    }

                    if (cursor + EntryHeader > fileEnd)
                    {
                        return cursor;
                    }

                    int index = (int)(cursor - address);
                    int entryLength = BinaryPrimitives.ReadInt32LittleEndian(page.AsSpan(index));
                    if (entryLength == 0)
                    {
                        // FasterLog leaves the rest of a page zero when the next entry did not fit; a zero in the
                        // page that holds the tail means the data that should be there is gone.
                        if (pageLimit >= to)
                        {
                            return cursor;
                        }

                        next = pageLimit;
                        break;
                    }

                    long payloadEnd = cursor + EntryHeader + (long)entryLength;
                    if (entryLength < 0 || payloadEnd > pageLimit || payloadEnd > fileEnd || payloadEnd > to)
                    {
                        return cursor;
                    }

                    ReadOnlySpan<byte> record = page.AsSpan(index + EntryHeader, entryLength);
                    if (!SpanLogRecord.IsValid(record, out byte type))
                    {
                        return cursor;
                    }

                    visitor.OnRecord(cursor, type, record);
                    cursor += EntrySize(entryLength);
                }

                address = next >= 0 ? next : cursor;
            }

            return -1;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(page);
        }
    }

    /// <summary>Closes handles of segments below <paramref name="segment"/> so deleted files release their space.</summary>
    public void ReleaseSegmentsBelow(long beginAddress)
    {
        long segment = beginAddress >> _segmentBits;
        lock (_lock)
        {
            List<long>? stale = null;
            foreach (long key in _handles.Keys)
            {
                if (key < segment)
                {
                    (stale ??= []).Add(key);
                }
            }

            if (stale is null)
            {
                return;
            }

            foreach (long key in stale)
            {
                _handles.Remove(key, out SafeFileHandle? handle);
                handle?.Dispose();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (SafeFileHandle handle in _handles.Values)
            {
                handle.Dispose();
            }

            _handles.Clear();
        }
    }

    private static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (n <= 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private static byte[]? Return(byte[] buffer)
    {
        ArrayPool<byte>.Shared.Return(buffer);
        return null;
    }

    private SafeFileHandle? GetHandle(long segment)
    {
        lock (_lock)
        {
            if (_handles.TryGetValue(segment, out SafeFileHandle? handle))
            {
                return handle;
            }

            string path = $"{_basePath}.{segment}";
            if (!File.Exists(path))
            {
                return null;
            }

            try
            {
                handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (FileNotFoundException)
            {
                return null;
            }

            _handles[segment] = handle;
            return handle;
        }
    }
}
