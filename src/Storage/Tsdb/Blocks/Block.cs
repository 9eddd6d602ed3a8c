using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

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
    /// <summary>Index version written: 2 has a symbol table and delta-coded chunk references; 1 is still read.</summary>
    public const byte FormatVersion = 2;

    /// <summary>Version byte of the <c>chunks</c> file (Prometheus's segment format, unchanged).</summary>
    public const byte ChunksVersion = 1;

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

    /// <summary>Writes a block atomically (temp directory, fsync, rename) in the current index version.</summary>
    public static void Write(string directory, int walSegmentAfter, IReadOnlyList<(Label[] Labels, List<ChunkData> Chunks, SampleValueType LastType, ulong LastBits)> series)
    {
        string tmp = directory + ".tmp";
        if (System.IO.Directory.Exists(tmp))
        {
            System.IO.Directory.Delete(tmp, true);
        }

        System.IO.Directory.CreateDirectory(tmp);

        // Every label name and value is written once, in a sorted symbol table; series refer to them by number.
        var symbols = SymbolTable(series);
        var index = new RecordWriter();
        long minT = long.MaxValue, maxT = long.MinValue;
        using (var chunks = new FileStream(Path.Combine(tmp, "chunks"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            Span<byte> header = stackalloc byte[8];
            header.Clear();
            BinaryPrimitives.WriteUInt32BigEndian(header, ChunksMagic);
            header[4] = ChunksVersion;
            chunks.Write(header);
            foreach (var (_, list, _, _) in series)
            {
                foreach (var c in list)
                {
                    minT = Math.Min(minT, c.MinTime);
                    maxT = Math.Max(maxT, c.MaxTime);
                }
            }

            var env = new RecordWriter();
            Span<byte> crcBytes = stackalloc byte[4];
            var body = new RecordWriter();
            body.UVarint((ulong)symbols.Count);
            foreach (var (symbol, _) in symbols)
            {
                body.String(symbol);
            }

            body.UVarint((ulong)series.Count);
            long previousEnd = header.Length;
            foreach (var (labels, list, lastType, lastBits) in series)
            {
                body.UVarint((ulong)labels.Length);
                foreach (var l in labels)
                {
                    body.UVarint((ulong)symbols[l.Name]);
                    body.UVarint((ulong)symbols[l.Value]);
                }

                body.Byte((byte)lastType);
                body.UInt64(lastBits);
                body.UVarint((ulong)list.Count);
                long previousMaxT = minT;
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
                    body.Varint(c.MinTime - previousMaxT);
                    body.UVarint((ulong)(c.MaxTime - c.MinTime));
                    body.Byte((byte)c.Encoding);
                    body.UVarint((ulong)c.Count);
                    body.UVarint((ulong)(dataOffset - previousEnd));
                    body.UVarint((ulong)c.Data.Length);
                    previousMaxT = c.MaxTime;
                    previousEnd = dataOffset + c.Data.Length;
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

    /// <summary>Opens a block written in index version 1 (labels inline) or 2 (symbol table).</summary>
    public static Block Open(string directory)
    {
        byte[] index = File.ReadAllBytes(Path.Combine(directory, "index"));
        if (index.Length < 9 || BinaryPrimitives.ReadUInt32BigEndian(index.AsSpan(index.Length - 4)) != Crc32C.Compute(index.AsSpan(0, index.Length - 4))
            || BinaryPrimitives.ReadUInt32LittleEndian(index) != IndexMagic)
        {
            throw new InvalidDataException($"block {directory}: bad index checksum or header");
        }

        byte version = index[4];
        if (version is not (1 or FormatVersion))
        {
            throw new InvalidDataException($"block {directory}: index version {version} is not supported (this build reads 1 and {FormatVersion})");
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
            var r = new RecordReader(index.AsSpan(5, index.Length - 9));
            block.WalSegmentAfter = (int)r.UVarint();
            block.MinTime = r.Varint();
            block.MaxTime = r.Varint();
            if (version == 1)
            {
                ReadSeriesV1(ref r, block);
            }
            else
            {
                ReadSeriesV2(ref r, block);
            }

            block.SizeBytes = index.Length + block._chunksLength;
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

    /// <summary>Every label string of the block once, most used first so the common ones get one-byte refs.</summary>
    private static Dictionary<string, int> SymbolTable(IReadOnlyList<(Label[] Labels, List<ChunkData> Chunks, SampleValueType LastType, ulong LastBits)> series)
    {
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in series)
        {
            foreach (var l in s.Labels)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(uses, l.Name, out _)++;
                CollectionsMarshal.GetValueRefOrAddDefault(uses, l.Value, out _)++;
            }
        }

        var ordered = new KeyValuePair<string, int>[uses.Count];
        ((ICollection<KeyValuePair<string, int>>)uses).CopyTo(ordered, 0);
        Array.Sort(ordered, static (a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        var refs = new Dictionary<string, int>(ordered.Length, StringComparer.Ordinal);
        for (int i = 0; i < ordered.Length; i++)
        {
            refs.Add(ordered[i].Key, i);
        }

        return refs;
    }

    private static void ReadSeriesV1(ref RecordReader r, Block block)
    {
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
                refs.Add(new BlockChunkRef(block, enc, cmin, cmax, count, off, len));
            }

            block.Series.Add(new BlockSeries(labels, refs, lastType, lastBits));
        }
    }

    private static void ReadSeriesV2(ref RecordReader r, Block block)
    {
        // Label strings come from the symbol table, so series of a block share their name and value instances.
        var symbols = new string[checked((int)r.UVarint())];
        for (int i = 0; i < symbols.Length; i++)
        {
            symbols[i] = r.String();
        }

        int n = (int)r.UVarint();
        long previousEnd = 8;
        for (int i = 0; i < n; i++)
        {
            var labels = new Label[(int)r.UVarint()];
            for (int l = 0; l < labels.Length; l++)
            {
                labels[l] = new Label(Symbol(symbols, r.UVarint(), block), Symbol(symbols, r.UVarint(), block));
            }

            var lastType = (SampleValueType)r.Byte();
            ulong lastBits = r.UInt64();
            int nc = (int)r.UVarint();
            var refs = new List<BlockChunkRef>(nc);
            long previousMaxT = block.MinTime;
            for (int j = 0; j < nc; j++)
            {
                long cmin = previousMaxT + r.Varint();
                long cmax = cmin + (long)r.UVarint();
                var enc = (ChunkEncoding)r.Byte();
                int count = (int)r.UVarint();
                long off = previousEnd + (long)r.UVarint();
                int len = (int)r.UVarint();
                refs.Add(new BlockChunkRef(block, enc, cmin, cmax, count, off, len));
                previousMaxT = cmax;
                previousEnd = off + len;
            }

            block.Series.Add(new BlockSeries(labels, refs, lastType, lastBits));
        }
    }

    private static string Symbol(string[] symbols, ulong reference, Block block) =>
        reference < (ulong)symbols.Length ? symbols[reference] : throw new InvalidDataException($"block {block.Directory}: symbol reference {reference} outside the table of {symbols.Length}");
}
