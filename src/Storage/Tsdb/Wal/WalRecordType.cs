namespace TraceLink.Storage.Tsdb.Wal;

/// <summary>Entry kinds inside one WAL record (docs/format/tsdb-wal.md).</summary>
internal enum WalRecordType : byte
{
    Series = 1,
    Float = 2,
    Histogram = 3,
    FloatHistogram = 4,
    Exemplar = 5,
}
