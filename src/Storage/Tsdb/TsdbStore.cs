using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using TraceLink.Storage.Tsdb.Blocks;
using TraceLink.Storage.Tsdb.Chunks;
using TraceLink.Storage.Tsdb.Head;
using TraceLink.Storage.Tsdb.Index;
using TraceLink.Storage.Tsdb.Wal;

namespace TraceLink.Storage.Tsdb;

/// <summary>
/// The embedded TSDB: series by <see cref="SeriesKey"/> hash, postings in FASTER (docs/format/tsdb-index.md),
/// Gorilla XOR and native-histogram chunks, a WAL written before every acknowledgement and replayed on open, a head
/// cut into immutable blocks off the write path, and retention by time and size. Thread-safe; writes are serialised.
/// </summary>
public sealed partial class TsdbStore : ISeriesStore, IDisposable
{
    private readonly TsdbOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _sync = new();

    // Serialises block cuts (background and CompactHead); taken before _sync, never inside it.
    private readonly Lock _cutLock = new();
    private readonly Dictionary<ulong, MemSeries> _byHash = [];
    private readonly List<MemSeries?> _series = [];
    private readonly TsdbIndex _index;
    private readonly Postings _postings;
    private readonly List<Block> _blocks = [];
    private readonly WriteAheadLog _wal;
    private readonly RecordWriter _walBuffer = new();
    private readonly List<MemSeries> _created = [];
    private int[] _slotOf = new int[64];
    private SlotState[] _slots = new SlotState[64];
    private MemSeries[] _resolved = new MemSeries[64];
    private byte[] _keyScratch = new byte[256];
    private long _commitEpoch;
    private bool _cutScheduled;
    private readonly string _blockDirectory;
    private long _headMinT = long.MaxValue;
    private long _headMaxT = long.MinValue;
    private bool _disposed;

    // Select's sort key: each series' position in label order, by id; stale once a series is added.
    private int[] _labelOrder = [];
    private bool _labelOrderStale = true;

    /// <summary>Opens (or creates) the store in <see cref="TsdbOptions.DataDirectory"/>, loading blocks and replaying the WAL.</summary>
    public TsdbStore(TsdbOptions options, ILogger<TsdbStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockChunkSamples, ChunkBuilder.MaxSamplesPerChunk, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BlockChunkSamples, ushort.MaxValue, nameof(options));
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _blockDirectory = Path.Combine(options.DataDirectory, "blocks");
        Directory.CreateDirectory(_blockDirectory);
        _index = new TsdbIndex(Path.Combine(options.DataDirectory, "index"), options, _logger);
        _postings = new Postings(_index);
        int walFrom = LoadBlocks();
        _wal = new WriteAheadLog(Path.Combine(options.DataDirectory, "wal"), options.WalFsync, _logger);
        var walIds = new Dictionary<ulong, MemSeries>();
        long samples = 0;
        _wal.Replay(walFrom, record => samples += ReplayRecord(record.Span, walIds));
        if (_wal.CurrentSegment < walFrom)
        {
            _wal.CurrentSegment = walFrom;
        }

        _wal.OpenForAppend();
        int seriesCount = CountSeries();
        LogOpened(_logger, options.DataDirectory, _blocks.Count, seriesCount, samples);
    }

    /// <summary>Number of live series.</summary>
    public int SeriesCount
    {
        get
        {
            lock (_sync)
            {
                return CountSeries();
            }
        }
    }

    /// <summary>Bytes on disk in blocks (excludes the WAL).</summary>
    public long BlockBytes
    {
        get
        {
            lock (_sync)
            {
                long total = 0;
                foreach (var b in _blocks)
                {
                    total += b.SizeBytes;
                }

                return total;
            }
        }
    }

    /// <inheritdoc />
    public ISampleAppender Appender() => new TsdbAppender(this);

    /// <inheritdoc />
    public IEnumerable<ISeries> Select(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
    {
        ArgumentNullException.ThrowIfNull(matchers);
        var result = new List<TsdbSeries>();
        int[]? ranks = null;
        lock (_sync)
        {
            foreach (var s in Matching(matchers))
            {
                if (!HasDataIn(s, minTimeMs, maxTimeMs))
                {
                    continue;
                }

                var head = new List<ChunkData>();
                if (s.Cutting is not null)
                {
                    head.AddRange(s.Cutting);
                }

                s.Head.Snapshot(head);
                result.Add(new TsdbSeries(s.Labels, PersistedInRange(s, minTimeMs, maxTimeMs), head, s.OutOfOrder is null ? [] : [.. s.OutOfOrder], minTimeMs, maxTimeMs) { Id = s.Id });
            }

            if (result.Count >= 64 && (!_labelOrderStale || result.Count * 8 >= _series.Count))
            {
                ranks = LabelOrder();
            }
        }

        if (ranks is null)
        {
            result.Sort(static (a, b) => CompareLabels(a.Labels, b.Labels));
            return result;
        }

        // Every series' place in label order is known: sort by an int per series instead of comparing label strings.
        var keys = new int[result.Count];
        var items = new TsdbSeries[result.Count];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = result[i];
            keys[i] = ranks[result[i].Id];
        }

        Array.Sort(keys, items);
        return items;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> LabelNames(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
    {
        ArgumentNullException.ThrowIfNull(matchers);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        lock (_sync)
        {
            foreach (var s in Matching(matchers))
            {
                if (HasDataIn(s, minTimeMs, maxTimeMs))
                {
                    foreach (var l in s.Labels)
                    {
                        names.Add(l.Name);
                    }
                }
            }
        }

        return [.. names];
    }

    /// <inheritdoc />
    public IReadOnlyList<string> LabelValues(string name, long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
    {
        ArgumentNullException.ThrowIfNull(matchers);
        var values = new SortedSet<string>(StringComparer.Ordinal);
        lock (_sync)
        {
            foreach (var s in Matching(matchers))
            {
                if (HasDataIn(s, minTimeMs, maxTimeMs))
                {
                    string v = s.GetLabelValue(name);
                    if (v.Length > 0)
                    {
                        values.Add(v);
                    }
                }
            }
        }

        return [.. values];
    }

    /// <inheritdoc />
    public IReadOnlyList<(IReadOnlyList<Label> Series, IReadOnlyList<Exemplar> Exemplars)> Exemplars(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers)
    {
        ArgumentNullException.ThrowIfNull(matchers);
        var result = new List<(IReadOnlyList<Label>, IReadOnlyList<Exemplar>)>();
        lock (_sync)
        {
            foreach (var s in Matching(matchers))
            {
                if (s.Exemplars is null)
                {
                    continue;
                }

                var list = new List<Exemplar>();
                s.Exemplars.CopyTo(list, minTimeMs, maxTimeMs);
                if (list.Count > 0)
                {
                    result.Add((s.Labels, list));
                }
            }
        }

        result.Sort(static (a, b) => CompareLabels(a.Item1, b.Item1));
        return result;
    }

    /// <summary>Cuts the whole head into an immutable block now (normally done when the head spans 1.5 block durations).</summary>
    public void CompactHead()
    {
        lock (_cutLock)
        {
            CutBlock();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Waits for a background block cut to finish before closing the WAL under it.
        lock (_cutLock)
        {
            lock (_sync)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                _wal.Dispose();
                _index.Checkpoint();
                _index.Dispose();
                foreach (var b in _blocks)
                {
                    b.Dispose();
                }
            }
        }
    }

    /// <summary>Prometheus <c>labels.Compare</c>: pairwise by name then value, then by length.</summary>
    internal static int CompareLabels(IReadOnlyList<Label> a, IReadOnlyList<Label> b)
    {
        int n = Math.Min(a.Count, b.Count);
        for (int i = 0; i < n; i++)
        {
            int c = string.CompareOrdinal(a[i].Name, b[i].Name);
            if (c != 0)
            {
                return c;
            }

            c = string.CompareOrdinal(a[i].Value, b[i].Value);
            if (c != 0)
            {
                return c;
            }
        }

        return a.Count.CompareTo(b.Count);
    }

    internal static string FormatLabels(IReadOnlyList<Label> labels)
    {
        var sb = new StringBuilder("{");
        for (int i = 0; i < labels.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(labels[i].Name).Append("=\"").Append(labels[i].Value.Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }

        return sb.Append('}').ToString();
    }

    internal void Commit(TsdbAppender appender)
    {
        var entries = CollectionsMarshal.AsSpan(appender.Series);
        var samples = CollectionsMarshal.AsSpan(appender.Samples);
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // Resolve every series of the batch to a slot: one per distinct series, existing or new. Scratch arrays
            // live on the store (guarded by the lock), so a batch of known series allocates nothing.
            _commitEpoch++;
            var slotOf = Grow(ref _slotOf, entries.Length);
            Grow(ref _slots, entries.Length);
            var slots = _slots;
            int slotCount = 0;
            Dictionary<ulong, List<int>>? newByHash = null;
            for (int i = 0; i < entries.Length; i++)
            {
                ref readonly var e = ref entries[i];
                var key = appender.Key(e);
                ulong hash = e.Hash;
                var existing = Lookup(hash, key);
                IReadOnlyList<Label>? labels = null;
                byte[]? canonical = null;
                if (existing is null)
                {
                    labels = e.Labels ?? SeriesKey.Decode(key);
                    canonical = SeriesKey.Encode(labels);
                    if (!key.SequenceEqual(canonical))
                    {
                        // Wire bytes that are not canonical UTF-8 decode to different strings; the strings decide.
                        hash = XxHash3.HashToUInt64(canonical);
                        existing = Lookup(hash, canonical);
                    }
                }

                if (existing is not null)
                {
                    if (existing.CommitEpoch != _commitEpoch)
                    {
                        existing.CommitEpoch = _commitEpoch;
                        existing.CommitSlot = slotCount;
                        slots[slotCount++] = new SlotState(existing, existing.Labels, null, hash);
                    }

                    slotOf[i] = existing.CommitSlot;
                    continue;
                }

                newByHash ??= [];
                int found = -1;
                if (newByHash.TryGetValue(hash, out var candidates))
                {
                    foreach (int c in candidates)
                    {
                        if (slots[c].Key.AsSpan().SequenceEqual(canonical))
                        {
                            found = c;
                            break;
                        }
                    }
                }

                if (found < 0)
                {
                    found = slotCount;
                    slots[slotCount++] = new SlotState(null, labels!, canonical, hash);
                    if (candidates is null)
                    {
                        candidates = [];
                        newByHash[hash] = candidates;
                    }

                    candidates.Add(found);
                }

                slotOf[i] = found;
            }

            try
            {
                CommitSlots(appender, samples, slotOf, slotCount);
            }
            finally
            {
                // Drop references to label lists and histograms of the batch.
                Array.Clear(slots, 0, slotCount);
            }
        }
    }

    private void CommitSlots(TsdbAppender appender, Span<PendingSample> samples, int[] slotOf, int slotCount)
    {
        var slots = _slots;
        Validate(samples, slotOf, slots);

        // Everything below either succeeds or fails with an I/O error before any state changes.
        _walBuffer.Reset();
        int segment = _wal.CurrentSegment;
        var resolved = Grow(ref _resolved, slotCount);
        var created = _created;
        created.Clear();
        for (int s = 0; s < slotCount; s++)
        {
            ref readonly var st = ref slots[s];
            var series = st.Series;
            if (series is null)
            {
                // A series retention dropped keeps its id (and postings) in the index.
                int id = _index.FindSeries(st.Key);
                series = new MemSeries(id >= 0 ? id : _index.ReserveId(), CopyLabels(st.Labels), st.Key!, st.Hash)
                {
                    InIndex = id >= 0,
                };
                created.Add(series);
            }

            resolved[s] = series;
            if (series.WalSegment != segment)
            {
                _walBuffer.Byte((byte)WalRecordType.Series);
                _walBuffer.UVarint((ulong)series.Id);
                _walBuffer.Labels(series.Labels);
            }
        }

        foreach (ref readonly var p in samples)
        {
            if (p.Skip)
            {
                continue;
            }

            ulong id = (ulong)resolved[slotOf[p.SeriesIndex]].Id;
            switch (p.Type)
            {
                case SampleValueType.Float:
                    _walBuffer.Byte((byte)WalRecordType.Float);
                    _walBuffer.UVarint(id);
                    _walBuffer.Varint(p.T);
                    _walBuffer.Double(p.F);
                    break;
                case SampleValueType.Histogram:
                    _walBuffer.Byte((byte)WalRecordType.Histogram);
                    _walBuffer.UVarint(id);
                    _walBuffer.Varint(p.T);
                    _walBuffer.Histogram((Histogram)p.Histogram!);
                    break;
                default:
                    _walBuffer.Byte((byte)WalRecordType.FloatHistogram);
                    _walBuffer.UVarint(id);
                    _walBuffer.Varint(p.T);
                    _walBuffer.FloatHistogram((FloatHistogram)p.Histogram!);
                    break;
            }
        }

        foreach (var (idx, e) in appender.PendingExemplars)
        {
            WriteExemplar(resolved[slotOf[idx]].Id, e);
        }

        if (_walBuffer.Length > 0)
        {
            _wal.Append(_walBuffer.Written);
        }

        foreach (var series in created)
        {
            Register(series);
        }

        created.Clear();
        for (int s = 0; s < slotCount; s++)
        {
            resolved[s].WalSegment = segment;
        }

        foreach (ref readonly var p in samples)
        {
            if (!p.Skip)
            {
                Apply(resolved[slotOf[p.SeriesIndex]], p.Type, p.T, p.F, p.Histogram);
            }
        }

        foreach (var (idx, e) in appender.PendingExemplars)
        {
            AddExemplar(resolved[slotOf[idx]], e);
        }

        Array.Clear(resolved, 0, slotCount);
        if (!_cutScheduled && _headMaxT != long.MinValue && _headMaxT - _headMinT >= (long)(_options.BlockDuration.TotalMilliseconds * 1.5))
        {
            // Writing a block takes seconds for a big head; the commit that notices only schedules it.
            _cutScheduled = true;
            ThreadPool.UnsafeQueueUserWorkItem(static store => store.CutInBackground(), this, preferLocal: false);
        }
    }

    private void CutInBackground()
    {
        try
        {
            lock (_cutLock)
            {
                CutBlock();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            LogCutFailed(_logger, e);
        }
        finally
        {
            lock (_sync)
            {
                _cutScheduled = false;
            }
        }
    }

    /// <summary>
    /// Cuts the head into a block in three steps so writers wait only for the first and last: under the lock, detach
    /// the head chunks (queries still see them as <see cref="MemSeries.Cutting"/>) and rotate the WAL; without it,
    /// write and open the block; under the lock again, attach it and delete the WAL segments it covers. Caller holds
    /// <see cref="_cutLock"/>.
    /// </summary>
    private void CutBlock()
    {
        PendingCut? cut;
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            cut = BeginCutLocked();
        }

        if (cut is null)
        {
            return;
        }

        Block block;
        try
        {
            var appender = new XorAppender();
            Block.Write(cut.Directory, cut.Segment, cut.ToWrite.ConvertAll(s => (s.Item1, BlockChunkMerger.Merge(s.Item2, _options.BlockChunkSamples, appender), s.Item3, s.Item4)));
            block = Block.Open(cut.Directory);
        }
        catch
        {
            lock (_sync)
            {
                // Put the chunks back in front of what arrived since; the WAL segments still hold them.
                foreach (var s in cut.Sources)
                {
                    s.Head.Closed.InsertRange(0, s.Cutting!);
                    s.Cutting = null;
                }

                _headMinT = Math.Min(_headMinT, cut.MinT);
                _headMaxT = Math.Max(_headMaxT, cut.MaxT);
            }

            throw;
        }

        lock (_sync)
        {
            _blocks.Add(block);
            for (int i = 0; i < cut.Sources.Count; i++)
            {
                var s = cut.Sources[i];
                s.Persisted.AddRange(block.Series[i].Chunks);
                s.PersistedAscending = null;
                s.Cutting = null;
            }

            _wal.DeleteBefore(cut.Segment);
            LogBlockCut(_logger, cut.Directory, cut.Sources.Count, block.SizeBytes);
            ApplyRetentionLocked();

            // Writers wait for the checkpoint, which keeps the cookie's next id exact (docs/format/tsdb-index.md).
            _index.Checkpoint();
        }
    }

    private static T[] Grow<T>(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            array = new T[Math.Max(length, array.Length * 2)];
        }

        return array;
    }

    private void Validate(Span<PendingSample> samples, int[] slotOf, SlotState[] slots)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long maxFuture = now + (long)_options.MaxFutureSkew.TotalMilliseconds;
        long window = (long)_options.OutOfOrderTimeWindow.TotalMilliseconds;
        foreach (ref var p in samples)
        {
            ref var st = ref slots[slotOf[p.SeriesIndex]];
            if (p.T > maxFuture)
            {
                Reject("out of bounds: sample timestamp too far in the future", st.Labels, p.T);
            }

            if (p.Histogram is not null)
            {
                string? problem = p.Histogram is Histogram h ? HistogramValidation.Check(h) : HistogramValidation.Check((FloatHistogram)p.Histogram);
                if (problem is not null)
                {
                    Reject("invalid native histogram: " + problem, st.Labels, p.T);
                }
            }

            if (p.T > st.MaxT)
            {
                st.MaxT = p.T;
                st.LastType = p.Type;
                st.LastBits = BitConverter.DoubleToUInt64Bits(p.F);
                st.LastHistogram = p.Histogram;
                st.MaxTFromBatch = true;
                continue;
            }

            if (p.T == st.MaxT)
            {
                // Prometheus checks a sample against committed data only; a second sample for the same timestamp
                // within one batch loses to the first at commit, silently. Only a clash with stored data is an error.
                if (st.MaxTFromBatch || SameValue(st.LastType, st.LastBits, st.LastHistogram, p.Type, BitConverter.DoubleToUInt64Bits(p.F), p.Histogram))
                {
                    p.Skip = true;
                    continue;
                }

                Reject("duplicate sample for timestamp", st.Labels, p.T);
            }

            if (window > 0 && p.T >= st.MaxT - window)
            {
                var ooo = st.Series?.OutOfOrder;
                if (ooo is not null)
                {
                    int at = FindOutOfOrder(ooo, p.T);
                    if (at >= 0)
                    {
                        var o = ooo[at];
                        if (!SameValue(o.Type, BitConverter.DoubleToUInt64Bits(o.F), (object?)o.H ?? o.FH, p.Type, BitConverter.DoubleToUInt64Bits(p.F), p.Histogram))
                        {
                            Reject("duplicate sample for timestamp", st.Labels, p.T);
                        }

                        p.Skip = true;
                    }
                }

                continue;
            }

            Reject(window > 0 ? "too old sample" : "out of order sample", st.Labels, p.T);
        }
    }

    private static bool SameValue(SampleValueType ta, ulong fa, object? ha, SampleValueType tb, ulong fb, object? hb)
    {
        if (ta != tb)
        {
            return false;
        }

        return ta switch
        {
            SampleValueType.Float => fa == fb,
            SampleValueType.Histogram => ha is null || HistogramValidation.Equal((Histogram)ha, (Histogram)hb!),
            SampleValueType.FloatHistogram => ha is null || HistogramValidation.Equal((FloatHistogram)ha, (FloatHistogram)hb!),
            _ => false,
        };
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Reject(string reason, IReadOnlyList<Label> labels, long t) =>
        throw new TsdbAppendException(string.Create(CultureInfo.InvariantCulture, $"{reason} (timestamp {t}) for series {FormatLabels(labels)}"));

    private static int FindOutOfOrder(List<Sample> ooo, long t)
    {
        int lo = 0, hi = ooo.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ooo[mid].T == t)
            {
                return mid;
            }

            if (ooo[mid].T < t)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    private void Apply(MemSeries s, SampleValueType type, long t, double f, object? h)
    {
        if (t > s.MaxTime)
        {
            // The last histogram is the head's own copy: the appender reuses h after the commit.
            switch (type)
            {
                case SampleValueType.Float:
                    s.Head.AppendFloat(t, f);
                    s.LastHistogram = null;
                    break;
                case SampleValueType.Histogram:
                    s.Head.AppendHistogram(t, (Histogram)h!);
                    s.LastHistogram = s.Head.LastHistogram;
                    break;
                default:
                    s.Head.AppendFloatHistogram(t, (FloatHistogram)h!);
                    s.LastHistogram = s.Head.LastFloatHistogram;
                    break;
            }

            s.MaxTime = t;
            s.LastType = type;
            s.LastFloatBits = BitConverter.DoubleToUInt64Bits(f);
        }
        else if (t < s.MaxTime)
        {
            s.OutOfOrder ??= [];
            int at = FindOutOfOrder(s.OutOfOrder, t);
            if (at < 0)
            {
                s.OutOfOrder.Insert(~at, type switch
                {
                    SampleValueType.Float => Sample.Float(t, f),
                    SampleValueType.Histogram => Sample.Int(t, new Histogram().CopyFrom((Histogram)h!)),
                    _ => Sample.FloatHist(t, new FloatHistogram().CopyFrom((FloatHistogram)h!)),
                });
            }
        }
        else
        {
            return;
        }

        s.MinTime = Math.Min(s.MinTime, t);
        _headMinT = Math.Min(_headMinT, t);
        _headMaxT = Math.Max(_headMaxT, t);
    }

    private void AddExemplar(MemSeries s, Exemplar e)
    {
        s.Exemplars ??= new ExemplarRing(_options.ExemplarsPerSeries);
        s.Exemplars.Add(e);
    }

    private void WriteExemplar(int id, Exemplar e)
    {
        _walBuffer.Byte((byte)WalRecordType.Exemplar);
        _walBuffer.UVarint((ulong)id);
        _walBuffer.Varint(e.TimestampMs);
        _walBuffer.Double(e.Value);
        _walBuffer.Labels(e.Labels);
    }

    private long ReplayRecord(ReadOnlySpan<byte> record, Dictionary<ulong, MemSeries> walIds)
    {
        var r = new RecordReader(record);
        long n = 0;
        try
        {
            while (!r.End)
            {
                var type = (WalRecordType)r.Byte();
                if (type == WalRecordType.Series)
                {
                    ulong walId = r.UVarint();
                    walIds[walId] = GetOrCreate(r.Labels());
                    continue;
                }

                var series = walIds[r.UVarint()];
                long t = r.Varint();
                switch (type)
                {
                    case WalRecordType.Float: Apply(series, SampleValueType.Float, t, r.Double(), null); break;
                    case WalRecordType.Histogram: Apply(series, SampleValueType.Histogram, t, 0, r.Histogram()); break;
                    case WalRecordType.FloatHistogram: Apply(series, SampleValueType.FloatHistogram, t, 0, r.FloatHistogram()); break;
                    case WalRecordType.Exemplar:
                        double v = r.Double();
                        AddExemplar(series, new Exemplar(r.Labels(), v, t));
                        continue;
                    default: throw new InvalidDataException("unknown WAL entry type " + (int)type);
                }

                n++;
            }
        }
        catch (Exception e) when (e is InvalidDataException or KeyNotFoundException)
        {
            // The CRC matched, so this is a bug or a format mismatch, not a torn write; keep what was read.
            LogBadRecord(_logger, e.Message);
        }

        return n;
    }

    private int LoadBlocks()
    {
        int walFrom = 0;
        var dirs = Directory.GetDirectories(_blockDirectory);
        Array.Sort(dirs, StringComparer.Ordinal);
        foreach (var dir in dirs)
        {
            if (dir.EndsWith(".tmp", StringComparison.Ordinal))
            {
                Directory.Delete(dir, true);
                continue;
            }

            Block block;
            try
            {
                block = Block.Open(dir);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                LogBadBlock(_logger, dir, e.Message);
                continue;
            }

            AttachBlock(block);
            walFrom = Math.Max(walFrom, block.WalSegmentAfter);
        }

        ApplyRetentionLocked();
        return walFrom;
    }

    private void AttachBlock(Block block)
    {
        _blocks.Add(block);
        foreach (var bs in block.Series)
        {
            var s = GetOrCreate(bs.Labels);

            s.Persisted.AddRange(bs.Chunks);
            s.PersistedAscending = null;
            foreach (var c in bs.Chunks)
            {
                s.MinTime = Math.Min(s.MinTime, c.MinTime);
                if (c.MaxTime > s.MaxTime)
                {
                    s.MaxTime = c.MaxTime;
                    s.LastType = bs.LastType;
                    s.LastFloatBits = bs.LastFloatBits;
                    s.LastHistogram = null;
                }
            }
        }
    }

    private PendingCut? BeginCutLocked()
    {
        var toWrite = new List<(Label[], List<ChunkData>, SampleValueType, ulong)>();
        var sources = new List<MemSeries>();
        foreach (var s in _series)
        {
            if (s is null || (s.Head.IsEmpty && s.OutOfOrder is not { Count: > 0 }))
            {
                continue;
            }

            List<ChunkData> chunks;
            if (s.OutOfOrder is { Count: > 0 })
            {
                var head = new List<ChunkData>();
                s.Head.Snapshot(head);
                var merged = new TsdbSeries(s.Labels, [], head, [.. s.OutOfOrder], long.MinValue, long.MaxValue).Materialize();
                var builder = new ChunkBuilder();
                foreach (var sample in merged)
                {
                    builder.Append(sample);
                }

                builder.CloseOpen();
                chunks = builder.Closed;
            }
            else
            {
                s.Head.CloseOpen();
                chunks = [.. s.Head.Closed];
            }

            s.Head.Clear();
            s.OutOfOrder = null;
            s.Cutting = chunks;
            toWrite.Add((s.Labels, chunks, s.LastType, s.LastFloatBits));
            sources.Add(s);
        }

        if (toWrite.Count == 0)
        {
            return null;
        }

        int newSegment = _wal.Rotate();
        string dir = Path.Combine(_blockDirectory, "b" + newSegment.ToString("D8", CultureInfo.InvariantCulture));

        // Exemplars live only in the head and WAL; carry them into the new segment before the old ones go.
        _walBuffer.Reset();
        var list = new List<Exemplar>();
        foreach (var s in _series)
        {
            if (s?.Exemplars is null)
            {
                continue;
            }

            list.Clear();
            s.Exemplars.CopyTo(list, long.MinValue, long.MaxValue);
            _walBuffer.Byte((byte)WalRecordType.Series);
            _walBuffer.UVarint((ulong)s.Id);
            _walBuffer.Labels(s.Labels);
            s.WalSegment = newSegment;
            foreach (var e in list)
            {
                WriteExemplar(s.Id, e);
            }
        }

        if (_walBuffer.Length > 0)
        {
            _wal.Append(_walBuffer.Written);
        }

        var cut = new PendingCut(dir, newSegment, toWrite, sources, _headMinT, _headMaxT);
        _headMinT = long.MaxValue;
        _headMaxT = long.MinValue;
        return cut;
    }

    private void ApplyRetentionLocked()
    {
        bool removed = false;
        if (_options.RetentionTime > TimeSpan.Zero && _blocks.Count > 0)
        {
            long newest = _headMaxT;
            foreach (var b in _blocks)
            {
                newest = Math.Max(newest, b.MaxTime);
            }

            long cutoff = newest - (long)_options.RetentionTime.TotalMilliseconds;
            for (int i = _blocks.Count - 1; i >= 0; i--)
            {
                if (_blocks[i].MaxTime < cutoff)
                {
                    RemoveBlock(i);
                    removed = true;
                }
            }
        }

        if (_options.RetentionSizeBytes > 0)
        {
            long total = _wal?.SizeBytes ?? 0;
            foreach (var b in _blocks)
            {
                total += b.SizeBytes;
            }

            while (total > _options.RetentionSizeBytes && _blocks.Count > 0)
            {
                int oldest = 0;
                for (int i = 1; i < _blocks.Count; i++)
                {
                    if (_blocks[i].MinTime < _blocks[oldest].MinTime)
                    {
                        oldest = i;
                    }
                }

                total -= _blocks[oldest].SizeBytes;
                RemoveBlock(oldest);
                removed = true;
            }
        }

        if (removed)
        {
            DropEmptySeries();
        }
    }

    private void RemoveBlock(int index)
    {
        var block = _blocks[index];
        _blocks.RemoveAt(index);
        foreach (var bs in block.Series)
        {
            var s = Lookup(bs.Labels);
            if (s is null)
            {
                continue;
            }

            s.Persisted.RemoveAll(r => ReferenceEquals(r.Block, block));
            s.PersistedAscending = null;
            s.MinTime = long.MaxValue;
            foreach (var r in s.Persisted)
            {
                s.MinTime = Math.Min(s.MinTime, r.MinTime);
            }
        }

        block.Dispose();
        Directory.Delete(block.Directory, true);
        LogBlockDeleted(_logger, block.Directory);
    }

    private void DropEmptySeries()
    {
        _postings.Clear();
        for (int i = 0; i < _series.Count; i++)
        {
            var s = _series[i];
            if (s is null)
            {
                continue;
            }

            if (s.Persisted.Count == 0 && !s.HasHeadData && s.Exemplars is null)
            {
                RemoveFromHash(s);
                _series[i] = null;
                continue;
            }

            if (s.Persisted.Count == 0 && !s.HasHeadData)
            {
                s.MinTime = long.MaxValue;
            }

            _postings.AddValues(s.Labels);
        }
    }

    private void RemoveFromHash(MemSeries s)
    {
        if (!_byHash.TryGetValue(s.Hash, out var head))
        {
            return;
        }

        if (ReferenceEquals(head, s))
        {
            if (s.NextCollision is null)
            {
                _byHash.Remove(s.Hash);
            }
            else
            {
                _byHash[s.Hash] = s.NextCollision;
            }

            return;
        }

        for (var p = head; p.NextCollision is not null; p = p.NextCollision)
        {
            if (ReferenceEquals(p.NextCollision, s))
            {
                p.NextCollision = s.NextCollision;
                return;
            }
        }
    }

    private void Register(MemSeries s)
    {
        if (_byHash.TryGetValue(s.Hash, out var head))
        {
            // A 64-bit hash collision: chain the series; lookups compare the full label set.
            s.NextCollision = head.NextCollision;
            head.NextCollision = s;
        }
        else
        {
            _byHash[s.Hash] = s;
        }

        while (_series.Count <= s.Id)
        {
            _series.Add(null);
        }

        _series[s.Id] = s;
        _labelOrderStale = true;
        _postings.AddValues(s.Labels);
        if (!s.InIndex)
        {
            _index.AddSeries(s.Id, s.Key, s.Labels);
            s.InIndex = true;
        }
    }

    private MemSeries? Lookup(ulong hash, ReadOnlySpan<byte> key)
    {
        _byHash.TryGetValue(hash, out var s);
        while (s is not null && !key.SequenceEqual(s.Key))
        {
            s = s.NextCollision;
        }

        return s;
    }

    private MemSeries? Lookup(IReadOnlyList<Label> labels)
    {
        int n = SeriesKey.Append(ref _keyScratch, 0, labels);
        var key = _keyScratch.AsSpan(0, n);
        return Lookup(XxHash3.HashToUInt64(key), key);
    }

    private MemSeries GetOrCreate(Label[] labels)
    {
        int n = SeriesKey.Append(ref _keyScratch, 0, labels);
        var key = _keyScratch.AsSpan(0, n);
        ulong hash = XxHash3.HashToUInt64(key);
        var s = Lookup(hash, key);
        if (s is null)
        {
            int id = _index.FindSeries(key);
            s = new MemSeries(id >= 0 ? id : _index.ReserveId(), labels, key.ToArray(), hash) { InIndex = id >= 0 };
            Register(s);
        }

        return s;
    }

    /// <summary>
    /// The persisted chunks of <paramref name="s"/> that overlap [minT, maxT], found by binary search when the list
    /// ascends (the usual case), so a query over recent data does not touch every chunk the series has on disk.
    /// </summary>
    private static List<BlockChunkRef> PersistedInRange(MemSeries s, long minT, long maxT)
    {
        var all = s.Persisted;
        s.PersistedAscending ??= Ascends(all);
        if (s.PersistedAscending != true)
        {
            return [.. all];
        }

        int lo = 0, hi = all.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (all[mid].MaxTime < minT)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        int first = lo;
        hi = all.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (all[mid].MinTime <= maxT)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return all.GetRange(first, lo - first);
    }

    private static bool Ascends(List<BlockChunkRef> chunks)
    {
        for (int i = 0; i < chunks.Count; i++)
        {
            if (chunks[i].MaxTime < chunks[i].MinTime || (i > 0 && chunks[i].MinTime <= chunks[i - 1].MaxTime))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Position of every live series in label order, by series id; rebuilt after series were added. Caller holds the lock.</summary>
    private int[] LabelOrder()
    {
        if (!_labelOrderStale)
        {
            return _labelOrder;
        }

        var live = new List<MemSeries>(_series.Count);
        foreach (var s in _series)
        {
            if (s is not null)
            {
                live.Add(s);
            }
        }

        live.Sort(static (a, b) => CompareLabels(a.Labels, b.Labels));
        if (_labelOrder.Length < _series.Count)
        {
            _labelOrder = new int[_series.Count];
        }

        for (int i = 0; i < live.Count; i++)
        {
            _labelOrder[live[i].Id] = i;
        }

        _labelOrderStale = false;
        return _labelOrder;
    }

    private List<MemSeries> Matching(IReadOnlyList<LabelMatcher> matchers)
    {
        List<int>? ids = null;
        foreach (var m in matchers)
        {
            var c = _postings.Candidates(m);
            if (c is not null)
            {
                ids = ids is null ? c : Postings.Intersect(ids, c);
            }
        }

        var result = new List<MemSeries>();
        if (ids is null)
        {
            foreach (var s in _series)
            {
                if (s is not null && MatchesAll(s, matchers))
                {
                    result.Add(s);
                }
            }
        }
        else
        {
            foreach (int id in ids)
            {
                var s = _series[id];
                if (s is not null && MatchesAll(s, matchers))
                {
                    result.Add(s);
                }
            }
        }

        return result;
    }

    private static bool MatchesAll(MemSeries s, IReadOnlyList<LabelMatcher> matchers)
    {
        foreach (var m in matchers)
        {
            if (!m.Matches(s.GetLabelValue(m.Name)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasDataIn(MemSeries s, long minT, long maxT) => s.Overlaps(minT, maxT);

    private int CountSeries()
    {
        int n = 0;
        foreach (var s in _series)
        {
            if (s is not null)
            {
                n++;
            }
        }

        return n;
    }

    private static Label[] CopyLabels(IReadOnlyList<Label> labels)
    {
        var copy = new Label[labels.Count];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = labels[i];
        }

        return copy;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "TSDB opened at {Directory}: {Blocks} blocks, {Series} series, {Samples} samples replayed from the WAL")]
    private static partial void LogOpened(ILogger logger, string directory, int blocks, int series, long samples);

    [LoggerMessage(Level = LogLevel.Warning, Message = "WAL record could not be decoded: {Reason}")]
    private static partial void LogBadRecord(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Skipping unreadable block {Directory}: {Reason}")]
    private static partial void LogBadBlock(ILogger logger, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cut head into block {Directory}: {Series} series, {Bytes} bytes")]
    private static partial void LogBlockCut(ILogger logger, string directory, int series, long bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Background block cut failed; the head keeps the data and the WAL keeps it durable")]
    private static partial void LogCutFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention deleted block {Directory}")]
    private static partial void LogBlockDeleted(ILogger logger, string directory);

    private struct SlotState(MemSeries? series, IReadOnlyList<Label> labels, byte[]? key, ulong hash)
    {
        public readonly MemSeries? Series = series;

        public readonly IReadOnlyList<Label> Labels = labels;

        /// <summary>Canonical key of a series the batch creates.</summary>
        public readonly byte[]? Key = key;

        public readonly ulong Hash = hash;

        public long MaxT = series?.MaxTime ?? long.MinValue;

        public SampleValueType LastType = series?.LastType ?? SampleValueType.None;

        public ulong LastBits = series?.LastFloatBits ?? 0;

        public object? LastHistogram = series?.LastHistogram;

        /// <summary>Whether <see cref="MaxT"/> was set by a sample of the batch being validated.</summary>
        public bool MaxTFromBatch;
    }

    private sealed record PendingCut(string Directory, int Segment, List<(Label[], List<ChunkData>, SampleValueType, ulong)> ToWrite, List<MemSeries> Sources, long MinT, long MaxT);
}
