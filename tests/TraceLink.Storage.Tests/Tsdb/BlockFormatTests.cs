using System.Buffers.Binary;

using TraceLink.Storage.Tsdb;
using TraceLink.Storage.Tsdb.Blocks;
using TraceLink.Storage.Tsdb.Chunks;
using TraceLink.Storage.Tsdb.Wal;

namespace TraceLink.Storage.Tests.Tsdb;

public sealed class BlockFormatTests : IDisposable
{
    private const long T0 = 1_700_000_000_000;
    private readonly TempDirectory _dir = new();

    public BlockFormatTests() => Directory.CreateDirectory(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Block_index_writes_each_label_string_once_and_reads_back_labels_and_chunk_references()
    {
        var series = new List<(Label[] Labels, List<ChunkData> Chunks, SampleValueType LastType, ulong LastBits)>();
        for (int s = 0; s < 50; s++)
        {
            Label[] labels = [new("__name__", "node_network_receive_bytes_total"), new("device", "eth" + (s % 3)), new("instance", "10.0.0." + s + ":9100"), new("job", "node")];
            var chunks = new List<ChunkData>();
            for (int c = 0; c < 3; c++)
            {
                var xor = new XorAppender();
                for (int i = 0; i < 120; i++)
                {
                    xor.Append(T0 + (((c * 120) + i) * 15_000L) + s, (s * 1000) + (c * 120) + i);
                }

                chunks.Add(xor.ToChunk());
            }

            series.Add((labels, chunks, SampleValueType.Float, BitConverter.DoubleToUInt64Bits(s)));
        }

        string dir = Path.Combine(_dir.Path, "b1");
        Block.Write(dir, 3, series);
        byte[] index = File.ReadAllBytes(Path.Combine(dir, "index"));
        Assert.Equal(Block.FormatVersion, index[4]);
        Assert.Equal(1, Occurrences(index, "node_network_receive_bytes_total"u8));
        Assert.Equal(1, Occurrences(index, "instance"u8));

        using var block = Block.Open(dir);
        Assert.Equal(3, block.WalSegmentAfter);
        Assert.Equal(T0, block.MinTime);
        Assert.Equal(50, block.Series.Count);
        for (int s = 0; s < 50; s++)
        {
            var read = block.Series[s];
            Assert.Equal(series[s].Labels, read.Labels);
            Assert.Equal(series[s].LastBits, read.LastFloatBits);
            Assert.Equal(3, read.Chunks.Count);
            for (int c = 0; c < 3; c++)
            {
                var want = series[s].Chunks[c];
                var got = read.Chunks[c].Load();
                Assert.Equal((want.MinTime, want.MaxTime, want.Count, want.Encoding), (got.MinTime, got.MaxTime, got.Count, got.Encoding));
                Assert.Equal(want.Data, got.Data);
            }
        }

        // Series of a block share their label strings.
        Assert.Same(block.Series[0].Labels[3].Value, block.Series[1].Labels[3].Value);
    }

    [Fact]
    public void Block_with_a_version_1_index_still_opens()
    {
        string dir = Path.Combine(_dir.Path, "b1");
        Directory.CreateDirectory(dir);
        var xor = new XorAppender();
        xor.Append(T0, 1.5);
        xor.Append(T0 + 15_000, 2.5);
        var chunk = xor.ToChunk();
        using (var chunks = File.Create(Path.Combine(dir, "chunks")))
        {
            byte[] header = [0x85, 0xBD, 0x40, 0xDD, 1, 0, 0, 0];
            chunks.Write(header);
            var env = new RecordWriter();
            env.UVarint((ulong)chunk.Data.Length);
            env.Byte((byte)ChunkEncoding.Xor);
            env.Bytes(chunk.Data);
            chunks.Write(env.Written);
            chunks.Write(new byte[4]);
        }

        var w = new RecordWriter();
        Span<byte> magic = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(magic, Block.IndexMagic);
        w.Bytes(magic);
        w.Byte(1);
        w.UVarint(2);
        w.Varint(T0);
        w.Varint(T0 + 15_000);
        w.UVarint(1);
        w.Labels([new Label("__name__", "up"), new Label("job", "node")]);
        w.Byte((byte)SampleValueType.Float);
        w.UInt64(BitConverter.DoubleToUInt64Bits(2.5));
        w.UVarint(1);
        w.Varint(T0);
        w.Varint(T0 + 15_000);
        w.Byte((byte)ChunkEncoding.Xor);
        w.UVarint(2);
        w.UVarint(8 + 1 + 1);
        w.UVarint((ulong)chunk.Data.Length);
        WriteIndex(dir, w.Written);

        using var block = Block.Open(dir);
        var series = Assert.Single(block.Series);
        Assert.Equal([new Label("__name__", "up"), new Label("job", "node")], series.Labels);
        Assert.Equal(chunk.Data, series.Chunks[0].Load().Data);
        Assert.Equal(T0 + 15_000, series.Chunks[0].MaxTime);
    }

    [Fact]
    public void Block_with_an_unknown_index_version_fails_naming_the_version()
    {
        string dir = Path.Combine(_dir.Path, "b1");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "chunks"), [0x85, 0xBD, 0x40, 0xDD, 1, 0, 0, 0]);
        var w = new RecordWriter();
        Span<byte> magic = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(magic, Block.IndexMagic);
        w.Bytes(magic);
        w.Byte(9);
        w.UVarint(0);
        WriteIndex(dir, w.Written);

        var e = Assert.Throws<InvalidDataException>(() => Block.Open(dir));
        Assert.Contains("version 9", e.Message, StringComparison.Ordinal);
    }

    private static void WriteIndex(string dir, ReadOnlySpan<byte> body)
    {
        var bytes = new byte[body.Length + 4];
        body.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(body.Length), Crc32C.Compute(body));
        File.WriteAllBytes(Path.Combine(dir, "index"), bytes);
    }

    private static int Occurrences(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        int n = 0;
        int at;
        while ((at = haystack.IndexOf(needle)) >= 0)
        {
            n++;
            haystack = haystack[(at + needle.Length)..];
        }

        return n;
    }
}
