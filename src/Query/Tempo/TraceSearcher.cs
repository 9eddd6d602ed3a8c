using Google.Protobuf;

using TraceLink.Query.TraceQL;
using TraceLink.Storage.Spans;

namespace TraceLink.Query.Tempo;

/// <summary>
/// Runs a search over an <see cref="ISpanStore"/>: index lookups when the query has a usable equality
/// (<see cref="IndexHint"/>), else a newest-first scan of the time range. Work is bounded by
/// <see cref="TempoApiOptions.MaxTracesInspected"/> and <see cref="TempoApiOptions.MaxSpansInspected"/>.
/// </summary>
internal sealed class TraceSearcher(ISpanStore store, ITraceReader traces, TempoApiOptions options)
{
    private const long NanosPerMinute = 60_000_000_000;

    private static readonly TraceView s_noTrace = new([]);

    public SearchOutcome Search(SearchParameters parameters, CancellationToken cancellationToken)
    {
        var hint = IndexHint.For(parameters.Query.Root);
        return hint is null
            ? Scan(parameters, cancellationToken)
            : Indexed(parameters, hint, cancellationToken);
    }

    private SearchOutcome Indexed(SearchParameters parameters, List<(IndexKind Kind, byte[] Value)> keys, CancellationToken cancellationToken)
    {
        var locators = new List<long>();
        foreach (var (kind, value) in keys)
        {
            store.Lookup(kind, value, parameters.FromUnixNano, parameters.ToUnixNano, locators);
        }

        var truncated = false;
        var spanBudget = options.MaxSpansInspected;
        if (locators.Count > spanBudget)
        {
            // Keep the highest locators: the span log is append-only, so they are the most recently written.
            locators.Sort();
            locators.RemoveRange(0, locators.Count - spanBudget);
            truncated = true;
        }

        // Newest span start per candidate trace decides the order in which traces are evaluated.
        var newest = new Dictionary<ByteString, ulong>();
        long inspectedSpans = 0;
        foreach (var locator in locators)
        {
            var span = store.Read(locator);
            inspectedSpans++;
            if (span is null)
            {
                continue;
            }

            var start = span.Span.StartTimeUnixNano;
            var traceId = TraceIdOf(span);
            if (!newest.TryGetValue(traceId, out var seen) || seen < start)
            {
                newest[traceId] = start;
            }
        }

        var candidates = new List<KeyValuePair<ByteString, ulong>>(newest);
        candidates.Sort(static (a, b) => b.Value.CompareTo(a.Value));

        var results = new List<TraceMatch>();
        var inspectedTraces = 0;
        foreach (var (traceId, _) in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (results.Count >= parameters.Limit)
            {
                break;
            }

            if (inspectedTraces >= options.MaxTracesInspected)
            {
                truncated = true;
                break;
            }

            inspectedTraces++;
            var match = Evaluate(traceId, parameters, ref inspectedSpans);
            if (match is not null)
            {
                results.Add(match);
            }
        }

        SortNewestFirst(results);
        return new SearchOutcome(results, inspectedTraces, inspectedSpans, truncated);
    }

    private SearchOutcome Scan(SearchParameters parameters, CancellationToken cancellationToken)
    {
        var spanLocal = parameters.Query.Root is SpansetFilter { IsSpanLocal: true } filter ? filter : null;
        var decided = new HashSet<ByteString>();
        var results = new List<TraceMatch>();
        long inspectedSpans = 0;
        var inspectedTraces = 0;
        var truncated = false;
        long stopBeforeMinute = long.MinValue;

        foreach (var span in store.ScanNewestFirst(parameters.FromUnixNano, parameters.ToUnixNano))
        {
            if (++inspectedSpans > options.MaxSpansInspected)
            {
                truncated = true;
                break;
            }

            var minute = (long)(span.Span.StartTimeUnixNano / NanosPerMinute);
            if (minute < stopBeforeMinute)
            {
                break;
            }

            if ((inspectedSpans & 0x3FF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var traceId = TraceIdOf(span);
            if (decided.Contains(traceId))
            {
                continue;
            }

            // A span-local filter can reject a span without loading its trace; another span may still match.
            if (spanLocal is not null && !spanLocal.Matches(new StoredSpanView(span, s_noTrace)))
            {
                continue;
            }

            decided.Add(traceId);
            if (inspectedTraces >= options.MaxTracesInspected)
            {
                truncated = true;
                break;
            }

            inspectedTraces++;
            var match = Evaluate(traceId, parameters, ref inspectedSpans);
            if (match is null)
            {
                continue;
            }

            results.Add(match);
            if (results.Count == parameters.Limit)
            {
                // Order inside a minute bucket is unspecified: finish this minute so the newest traces win.
                stopBeforeMinute = minute;
            }
        }

        SortNewestFirst(results);
        if (results.Count > parameters.Limit)
        {
            results.RemoveRange(parameters.Limit, results.Count - parameters.Limit);
        }

        return new SearchOutcome(results, inspectedTraces, inspectedSpans, truncated);
    }

    private TraceMatch? Evaluate(ByteString traceId, SearchParameters parameters, ref long inspectedSpans)
    {
        var spans = traces.GetTrace(traceId.Span);
        inspectedSpans += spans.Count;
        if (spans.Count == 0)
        {
            return null;
        }

        var trace = new TraceView(spans);
        if (trace.DurationNanos < parameters.MinTraceDurationNanos
            || (parameters.MaxTraceDurationNanos > 0 && trace.DurationNanos > parameters.MaxTraceDurationNanos))
        {
            return null;
        }

        var matched = new List<StoredSpan>();
        if (!parameters.Query.Root.Evaluate(trace, matched))
        {
            return null;
        }

        matched.Sort(static (a, b) => a.Span.StartTimeUnixNano.CompareTo(b.Span.StartTimeUnixNano));
        return new TraceMatch(traceId, trace, matched);
    }

    /// <summary>Sensor spans carry no trace id of their own; the trace reader names the (synthetic) trace they belong to.</summary>
    private ByteString TraceIdOf(StoredSpan span) =>
        span.Span.TraceId.IsEmpty ? ByteString.CopyFrom(traces.TraceIdOf(span).Span) : span.Span.TraceId;

    private static void SortNewestFirst(List<TraceMatch> results) =>
        results.Sort(static (a, b) => b.Trace.StartUnixNano.CompareTo(a.Trace.StartUnixNano));
}
