using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Protocol.Spans;

namespace TraceLink.Storage.Spans;

/// <summary>
/// The durable span store: a span log plus a correlation index (DESIGN.md §4).
/// Implementations are thread-safe.
/// </summary>
public interface ISpanStore : IAsyncDisposable
{
    /// <summary>
    /// Appends and indexes every span of <paramref name="request"/>. Completes only once the
    /// spans are durable (span-log commit); returns the number of spans stored.
    /// </summary>
    ValueTask<int> AppendAsync(ExportTraceServiceRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Appends and indexes every span of a validated wire batch (the ingest path: no decoded object graph); completes
    /// only once the spans are durable. <paramref name="batch"/>'s body must stay unchanged until then. The default
    /// decodes the batch for stores that hold decoded spans.
    /// </summary>
    ValueTask<int> AppendAsync(OtlpSpanBatch batch, CancellationToken cancellationToken) =>
        AppendAsync(ExportTraceServiceRequest.Parser.ParseFrom((batch ?? throw new ArgumentNullException(nameof(batch))).Body.Span), cancellationToken);

    /// <summary>All stored spans of a 16-byte trace id, in log order; empty when unknown.</summary>
    IReadOnlyList<StoredSpan> GetTrace(ReadOnlySpan<byte> traceId);

    /// <summary>
    /// Adds to <paramref name="locators"/> the locators of spans indexed under
    /// <c>kind | value</c> whose start time lies in [<paramref name="fromUnixNano"/>, <paramref name="toUnixNano"/>].
    /// </summary>
    void Lookup(IndexKind kind, ReadOnlySpan<byte> value, long fromUnixNano, long toUnixNano, List<long> locators);

    /// <summary>Reads one span by locator; null when it was removed by retention or never existed.</summary>
    StoredSpan? Read(long locator);

    /// <summary>Spans whose start lies in [from, to], newest minute bucket first (order inside a bucket unspecified).</summary>
    IEnumerable<StoredSpan> ScanNewestFirst(long fromUnixNano, long toUnixNano);

    /// <summary>Distinct attribute names seen per scope (<c>resource</c>, <c>span</c>), bounded.</summary>
    IReadOnlyDictionary<string, IReadOnlyCollection<string>> TagNames();

    /// <summary>Distinct string values seen for an attribute of a scope (bounded); empty when unknown.</summary>
    IReadOnlyCollection<string> TagValues(string scope, string name);
}
