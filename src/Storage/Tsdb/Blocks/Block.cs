using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

using Microsoft.Win32.SafeHandles;

using TraceLink.Storage.Tsdb.Chunks;
using TraceLink.Storage.Tsdb.Wal;

namespace TraceLink.Storage.Tsdb.Blocks;

/// <summary>
/// An immutable on-disk block (docs/format/tsdb-block.md): a <c>chunks</c> file in Prometheus's segment
/// format and an <c>index</c> file with series labels and chunk references, checksummed. The chunks file is
/// memory-mapped read-only (as Prometheus maps its chunk segments): a chunk read is a copy out of the page cache, no
/// system call and no allocation.
/// </summary>
internal sealed class Block : IDisposable
{
    public const uint ChunksMagic = 0x85BD40DD;
    public const uint IndexMagic = 0x584C4954; // "TILX"
    public const byte FormatVersion = 1;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly long _chunksLength;

    private Block(string directory, SafeFileHandle chunks)
    {
        Directory = directory;
        _chunksLength = RandomAccess.GetLength(chunks);
        _map = MemoryMappedFile.CreateFromFile(chunks, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
    }

    public string Directory { get; }

    public long MinTime { get; private set; }

    public long MaxTime { get; private set; }

    /// <summary>The first WAL segment not covered by this block.</summary>
    public int WalSegmentAfter { get; private set; }

    public long SizeBytes { get; private set; }

    public List<BlockSeries> Series { get; } = [];

    public byte[] ReadChunk(long offset, int length)
    {
        var data = new byte[length];
        CopyChunk(offset, data.AsSpan());
        return data;
    }

    /// <summary>
    /// Copies a chunk's bytes into <paramref name="destination"/>. The view handle's reference count is held for the
    /// copy only, so a block that retention disposes meanwhile is unmapped after the copy, never under it; a copy
    /// after disposal throws <see cref="ObjectDisposedException"/>, as the read of a closed file did.
    /// </summary>
    public void CopyChunk(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > _chunksLength)
        {
            throw new InvalidDataException($"block {Directory}: short chunk read");
        }

        _view.SafeMemoryMappedViewHandle.ReadSpan((ulong)(offset + _view.PointerOffset), destination);
    }

    /// <summary>Writes a block atomically (temp directory, fsync, rename).</summary>
    public static void Write(string directory, int walSegmentAfter, IReadOnlyList<(Label[] Labels, List<ChunkData> Chunks, SampleValueType LastType, ulong LastBits)> series)
    {
        string tmp = directory + ".tmp";
        if (System.IO.Directory.Exists(tmp))
        {
            System.IO.Directory.Delete(tmp, true);
        }

        System.IO.Directory.CreateDirectory(tmp);
        var index = new RecordWriter();
        long minT = long.MaxValue, maxT = long.MinValue;
        using (var chunks = new FileStream(Path.Combine(tmp, "chunks"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            Span<byte> header = stackalloc byte[8];
            header.Clear();
            BinaryPrimitives.WriteUInt32BigEndian(header, ChunksMagic);
            header[4] = FormatVersion;
            chunks.Write(header);
            var env = new RecordWriter();
            Span<byte> crcBytes = stackalloc byte[4];
            var body = new RecordWriter();
            body.UVarint((ulong)series.Count);
            foreach (var (labels, list, lastType, lastBits) in series)
            {
                body.Labels(labels);
                body.Byte((byte)lastType);
                body.UInt64(lastBits);
                body.UVarint((ulong)list.Count);
                foreach (var c in list)
                {
                    env.Reset();
                    env.UVarint((ulong)c.Data.Length);
                    int prefix = env.Length;
                    env.Byte((byte)c.Encoding);
                    env.Bytes(c.Data);
                    uint crc = Crc32C.Compute(env.Written[prefix..]);
                    BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
                    long dataOffset = chunks.Position + prefix + 1;
                    chunks.Write(env.Written);
                    chunks.Write(crcBytes);
                    body.Varint(c.MinTime);
                    body.Varint(c.MaxTime);
                    body.Byte((byte)c.Encoding);
                    body.UVarint((ulong)c.Count);
                    body.UVarint((ulong)dataOffset);
                    body.UVarint((ulong)c.Data.Length);
                    minT = Math.Min(minT, c.MinTime);
                    maxT = Math.Max(maxT, c.MaxTime);
                }
            }

            chunks.Flush(true);
            Span<byte> ih = stackalloc byte[5];
            BinaryPrimitives.WriteUInt32LittleEndian(ih, IndexMagic);
            ih[4] = FormatVersion;
            index.Bytes(ih);
            index.UVarint((ulong)walSegmentAfter);
            index.Varint(minT);
            index.Varint(maxT);
            index.Bytes(body.Written);
        }

        using (var fs = new FileStream(Path.Combine(tmp, "index"), FileMode.CreateNew, FileAccess.Write))
        {
            fs.Write(index.Written);
            Span<byte> crc = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32C.Compute(index.Written));
            fs.Write(crc);
            fs.Flush(true);
        }

        System.IO.Directory.Move(tmp, directory);
    }

    public static Block Open(string directory)
    {
        byte[] index = File.ReadAllBytes(Path.Combine(directory, "index"));
        if (index.Length < 9 || BinaryPrimitives.ReadUInt32BigEndian(index.AsSpan(index.Length - 4)) != Crc32C.Compute(index.AsSpan(0, index.Length - 4))
            || BinaryPrimitives.ReadUInt32LittleEndian(index) != IndexMagic || index[4] != FormatVersion)
        {
            throw new InvalidDataException($"block {directory}: bad index checksum or header");
        }

        var handle = File.OpenHandle(Path.Combine(directory, "chunks"), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        Block block;
        try
        {
            if (RandomAccess.GetLength(handle) < 8)
            {
                throw new InvalidDataException($"block {directory}: chunks file shorter than its header");
            }

            block = new Block(directory, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        try
        {
            block.ReadIndex(index);
        }
        catch
        {
            block.Dispose();
            throw;
        }

        return block;
    }

    public void Dispose()
    {
        _view.Dispose();
        _map.Dispose();
    }

    private void ReadIndex(byte[] index)
    {
        var r = new RecordReader(index.AsSpan(5, index.Length - 9));
        WalSegmentAfter = (int)r.UVarint();
        MinTime = r.Varint();
        MaxTime = r.Varint();
        int n = (int)r.UVarint();
        for (int i = 0; i < n; i++)
        {
            var labels = r.Labels();
            var lastType = (SampleValueType)r.Byte();
            ulong lastBits = r.UInt64();
            int nc = (int)r.UVarint();
            var refs = new List<BlockChunkRef>(nc);
            for (int j = 0; j < nc; j++)
            {
                long cmin = r.Varint();
                long cmax = r.Varint();
                var enc = (ChunkEncoding)r.Byte();
                int count = (int)r.UVarint();
                long off = (long)r.UVarint();
                int len = (int)r.UVarint();
                refs.Add(new BlockChunkRef(this, enc, cmin, cmax, count, off, len));
            }

            Series.Add(new BlockSeries(labels, refs, lastType, lastBits));
        }

        SizeBytes = index.Length + _chunksLength;
    }
}
