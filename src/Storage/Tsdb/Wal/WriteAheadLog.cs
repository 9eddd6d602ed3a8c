using System.Buffers.Binary;
using System.Globalization;

using Microsoft.Extensions.Logging;

namespace TraceLink.Storage.Tsdb.Wal;

/// <summary>
/// Segmented append-only WAL: each segment starts with an 8-byte header, then records
/// <c>u32 length | u32 CRC-32C(payload) | payload</c> (little endian). A torn or corrupt record ends
/// replay; the segment is truncated there and the loss is logged.
/// </summary>
internal sealed partial class WriteAheadLog : IDisposable
{
    private const uint Magic = 0x4C41574C; // "LWAL" little endian
    private const byte Version = 1;
    private const int HeaderSize = 8;

    private readonly string _directory;
    private readonly bool _fsync;
    private readonly ILogger _logger;
    private FileStream? _current;

    public WriteAheadLog(string directory, bool fsync, ILogger logger)
    {
        _directory = directory;
        _fsync = fsync;
        _logger = logger;
        Directory.CreateDirectory(directory);
    }

    public int CurrentSegment { get; set; }

    public long SizeBytes
    {
        get
        {
            long total = 0;
            foreach (var f in Directory.EnumerateFiles(_directory))
            {
                total += new FileInfo(f).Length;
            }

            return total;
        }
    }

    /// <summary>Segment numbers present on disk, ascending.</summary>
    public List<int> Segments()
    {
        var list = new List<int>();
        foreach (var f in Directory.EnumerateFiles(_directory))
        {
            if (int.TryParse(Path.GetFileName(f), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                list.Add(n);
            }
        }

        list.Sort();
        return list;
    }

    /// <summary>Replays every intact record of segments ≥ <paramref name="fromSegment"/>, truncating a torn tail.</summary>
    public void Replay(int fromSegment, Action<ReadOnlyMemory<byte>> onRecord)
    {
        foreach (int seg in Segments())
        {
            if (seg < fromSegment)
            {
                File.Delete(SegmentPath(seg));
                continue;
            }

            string path = SegmentPath(seg);
            byte[] data = File.ReadAllBytes(path);
            int pos = HeaderSize;
            if (data.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(data) != Magic || data[4] != Version)
            {
                LogCorruptSegment(_logger, path);
                pos = 0;
            }
            else
            {
                while (pos < data.Length)
                {
                    if (data.Length - pos < 8)
                    {
                        break;
                    }

                    int len = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(pos));
                    uint crc = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(pos + 4));
                    if (len < 0 || len > data.Length - pos - 8 || Crc32C.Compute(data.AsSpan(pos + 8, len)) != crc)
                    {
                        break;
                    }

                    onRecord(data.AsMemory(pos + 8, len));
                    pos += 8 + len;
                }
            }

            if (pos < data.Length)
            {
                LogTornTail(_logger, path, pos, data.Length - pos);
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Write);
                fs.SetLength(Math.Max(pos, 0));
                if (pos == 0)
                {
                    WriteHeader(fs);
                }
            }

            CurrentSegment = seg;
        }
    }

    /// <summary>Opens the newest segment for appending (creating segment 1 when there is none).</summary>
    public void OpenForAppend()
    {
        if (CurrentSegment == 0)
        {
            CurrentSegment = 1;
        }

        string path = SegmentPath(CurrentSegment);
        bool exists = File.Exists(path) && new FileInfo(path).Length >= HeaderSize;
        _current = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 1 << 16);
        if (!exists)
        {
            _current.SetLength(0);
            WriteHeader(_current);
        }

        _current.Seek(0, SeekOrigin.End);
    }

    /// <summary>Appends one record and flushes it to the OS (and to disk when fsync is on) before returning.</summary>
    public void Append(ReadOnlySpan<byte> payload)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32C.Compute(payload));
        var fs = _current!;
        long start = fs.Position;
        try
        {
            fs.Write(header);
            fs.Write(payload);
            fs.Flush(_fsync);
        }
        catch
        {
            // A partial record must not precede later ones: cut it off so replay keeps going.
            fs.SetLength(start);
            fs.Seek(start, SeekOrigin.Begin);
            throw;
        }
    }

    /// <summary>Starts a new segment; returns its number.</summary>
    public int Rotate()
    {
        _current?.Flush(true);
        _current?.Dispose();
        CurrentSegment++;
        OpenForAppend();
        return CurrentSegment;
    }

    public void DeleteBefore(int segment)
    {
        foreach (int seg in Segments())
        {
            if (seg < segment)
            {
                File.Delete(SegmentPath(seg));
            }
        }
    }

    public void Dispose() => _current?.Dispose();

    private static void WriteHeader(FileStream fs)
    {
        Span<byte> h = stackalloc byte[HeaderSize];
        h.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(h, Magic);
        h[4] = Version;
        fs.Write(h);
        fs.Flush(true);
    }

    private string SegmentPath(int seg) => Path.Combine(_directory, seg.ToString("D8", CultureInfo.InvariantCulture));

    [LoggerMessage(Level = LogLevel.Warning, Message = "WAL segment {Path} has a torn or corrupt tail at offset {Offset}; dropped {Bytes} bytes")]
    private static partial void LogTornTail(ILogger logger, string path, int offset, int bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "WAL segment {Path} has a bad header; its contents are dropped")]
    private static partial void LogCorruptSegment(ILogger logger, string path);
}
