namespace TraceLink.Storage.Spans;

/// <summary>
/// Receives every span the span store appends, in span-log order, including spans replayed from the log on
/// start (the store passes observers in its options; <c>TraceGroupLinker</c> is one). Calls are serialised per observer.
/// </summary>
public interface ISpanIndexObserver
{
    /// <summary>
    /// Span-log address from which the store must replay spans into <see cref="OnSpanAppended"/> after opening;
    /// spans before it are already reflected in the observer's recovered state. 0 replays the whole log.
    /// </summary>
    long ReplayFrom { get; }

    /// <summary>Called once a span is in the span log (before the append is acknowledged); must be idempotent for replays.</summary>
    void OnSpanAppended(StoredSpan span);

    /// <summary>
    /// Called with consecutive spans in log order, as encoded bytes: the spans of the appends indexed together, or a
    /// slice of the log replayed after opening (<paramref name="replayed"/>; only those spans can already be in the
    /// observer's state). The store calls this rather than <see cref="OnSpanAppended"/> so an observer can do its work
    /// once per batch without a decoded span object per span; <paramref name="spans"/> is valid only during the call.
    /// </summary>
    void OnSpansAppended(AppendedSpans spans, bool replayed);

    /// <summary>
    /// Called by the store after a span-log commit, off the ingest path: persist state covering every span
    /// passed so far, recording <paramref name="replayFrom"/> (the committed log tail) as the next <see cref="ReplayFrom"/>.
    /// </summary>
    ValueTask CheckpointAsync(long replayFrom, CancellationToken cancellationToken);
}
