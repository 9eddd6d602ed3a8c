using TraceLink.Storage.Tsdb.Blocks;
using TraceLink.Storage.Tsdb.Chunks;

namespace TraceLink.Storage.Tsdb.Head;

/// <summary>
/// Streams a series' samples straight out of its chunks, in order, clipped to [minT, maxT] (Prometheus
/// <c>populateWithDelGenericSeriesIterator</c>): chunks outside the range or behind a seek target are skipped
/// without being read, XOR chunks decode in place (block chunks are copied once into a buffer the iterator keeps),
/// histogram chunks decode one chunk at a time. Only for chunk lists whose time ranges ascend without overlap, where
/// it yields exactly what <see cref="TsdbSeries.Materialize"/> would.
/// </summary>
internal sealed class ChunkSeriesIterator(List<BlockChunkRef> persisted, List<ChunkData> head, long minT, long maxT) : ISeriesIterator
{
    // Word loads of the bit reader stay on the fast path up to a chunk's last byte when 8 spare bytes follow it.
    private const int Padding = 8;

    private readonly int _chunkCount = persisted.Count + head.Count;
    private int _chunk = -1;
    private bool _inChunk;
    private bool _exhausted;
    private bool _positioned;
    private ChunkEncoding _encoding;
    private XorDecoder _xor;
    private List<Sample>? _histograms;
    private int _histogramIndex;
    private byte[] _buffer = [];
    private SampleValueType _type;
    private long _t;
    private double _f;
    private Histogram? _h;
    private FloatHistogram? _fh;

    public long AtTimestamp => _t;

    public double AtFloat => _f;

    public Histogram AtHistogram() => _h ?? throw new InvalidOperationException("not positioned on an integer histogram");

    public FloatHistogram AtFloatHistogram() => _fh ?? _h?.ToFloat() ?? throw new InvalidOperationException("not positioned on a histogram");

    public SampleValueType Next() => Advance(minT);

    public SampleValueType Seek(long timestampMs)
    {
        if (_exhausted)
        {
            return SampleValueType.None;
        }

        if (_positioned && _t >= timestampMs)
        {
            return _type;
        }

        return Advance(Math.Max(minT, timestampMs));
    }

    /// <summary>Moves to the next sample at or after <paramref name="from"/>, skipping whole chunks that end before it.</summary>
    private SampleValueType Advance(long from)
    {
        if (_exhausted)
        {
            return SampleValueType.None;
        }

        while (true)
        {
            if (_inChunk && ChunkMaxTime(_chunk) < from)
            {
                _inChunk = false;
            }

            if (_inChunk && NextInChunk())
            {
                if (_t < from)
                {
                    continue;
                }

                if (_t > maxT)
                {
                    break;
                }

                _positioned = true;
                return _type;
            }

            _inChunk = false;
            if (!OpenChunk(from))
            {
                break;
            }
        }

        _exhausted = true;
        _positioned = false;
        return SampleValueType.None;
    }

    private bool NextInChunk()
    {
        if (_encoding == ChunkEncoding.Xor)
        {
            if (!_xor.Next())
            {
                return false;
            }

            _t = _xor.T;
            _f = _xor.V;
            return true;
        }

        if (_histogramIndex >= _histograms!.Count)
        {
            return false;
        }

        var s = _histograms[_histogramIndex++];
        _type = s.Type;
        _t = s.T;
        _f = s.F;
        _h = s.H;
        _fh = s.FH;
        return true;
    }

    /// <summary>Opens the next chunk that overlaps [<paramref name="from"/>, maxT]; false when none is left.</summary>
    private bool OpenChunk(long from)
    {
        while (++_chunk < _chunkCount)
        {
            long cmin, cmax;
            ChunkEncoding encoding;
            BlockChunkRef? r = null;
            ChunkData? c = null;
            if (_chunk < persisted.Count)
            {
                r = persisted[_chunk];
                (cmin, cmax, encoding) = (r.MinTime, r.MaxTime, r.Encoding);
            }
            else
            {
                c = head[_chunk - persisted.Count];
                (cmin, cmax, encoding) = (c.MinTime, c.MaxTime, c.Encoding);
            }

            if (cmax < from || cmin > maxT)
            {
                continue;
            }

            _encoding = encoding;
            if (encoding == ChunkEncoding.Xor)
            {
                _type = SampleValueType.Float;
                _h = null;
                _fh = null;
                if (r is not null)
                {
                    if (_buffer.Length < r.Length + Padding)
                    {
                        _buffer = new byte[Math.Max(r.Length + Padding, 256)];
                    }

                    r.Block.CopyChunk(r.Offset, _buffer.AsSpan(0, r.Length));
                    _xor.Reset(_buffer, 0, r.Length);
                }
                else
                {
                    _xor.Reset(c!.Data, 0, c.Data.Length);
                }
            }
            else
            {
                _histograms ??= [];
                _histograms.Clear();
                _histogramIndex = 0;
                HistogramChunkCodec.Decode(r is not null ? r.Load() : c!, _histograms);
            }

            _inChunk = true;
            return true;
        }

        return false;
    }

    private long ChunkMaxTime(int chunk) => chunk < persisted.Count ? persisted[chunk].MaxTime : head[chunk - persisted.Count].MaxTime;
}
