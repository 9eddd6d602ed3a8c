using TraceLink.Storage.Spans;

namespace TraceLink.Query.TraceQL;

/// <summary>All spans of one trace plus the trace-level values TraceQL and search results need.</summary>
internal sealed class TraceView
{
    public TraceView(IReadOnlyList<StoredSpan> spans)
    {
        Spans = spans;
        var start = ulong.MaxValue;
        ulong end = 0;
        for (var i = 0; i < spans.Count; i++)
        {
            var span = spans[i].Span;
            start = Math.Min(start, span.StartTimeUnixNano);
            end = Math.Max(end, span.EndTimeUnixNano);

            // The earliest parentless span is the root; a retried root keeps the first one.
            if (span.ParentSpanId.IsEmpty && (Root is null || span.StartTimeUnixNano < Root.Span.StartTimeUnixNano))
            {
                Root = spans[i];
            }
        }

        StartUnixNano = spans.Count == 0 ? 0 : start;
        EndUnixNano = end;
    }

    public IReadOnlyList<StoredSpan> Spans { get; }

    /// <summary>The span without a parent, or null when it has not been received.</summary>
    public StoredSpan? Root { get; }

    public ulong StartUnixNano { get; }

    public ulong EndUnixNano { get; }

    public long DurationNanos => EndUnixNano > StartUnixNano ? (long)(EndUnixNano - StartUnixNano) : 0;
}
