namespace TraceLink.Sensor;

/// <summary>A snapshot of the sensor's counters.</summary>
/// <param name="RingBufferDrops">Records the kernel could not queue because the ring buffer was full.</param>
/// <param name="RecordsSubmitted">Records the kernel queued.</param>
/// <param name="RecordsRead">Records the reader processed.</param>
/// <param name="Exchanges">Requests paired with their responses.</param>
/// <param name="SpansExported">Spans the sink accepted.</param>
/// <param name="SpansDropped">Spans lost because the sink fell behind or failed.</param>
/// <param name="ParseErrors">Malformed HTTP messages.</param>
/// <param name="UnlinkedTlsRecords">SSL_read/SSL_write records that could not be tied to a socket.</param>
/// <param name="TlsProbes">libssl functions probed.</param>
public sealed record SensorStatistics(
    long RingBufferDrops,
    long RecordsSubmitted,
    long RecordsRead,
    long Exchanges,
    long SpansExported,
    long SpansDropped,
    long ParseErrors,
    long UnlinkedTlsRecords,
    int TlsProbes);
