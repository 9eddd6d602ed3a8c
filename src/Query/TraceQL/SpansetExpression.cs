using TraceLink.Storage.Spans;

namespace TraceLink.Query.TraceQL;

/// <summary>A spanset-level node: a filter <c>{ ... }</c> or <c>&amp;&amp;</c>/<c>||</c> between spansets.</summary>
internal abstract class SpansetExpression
{
    /// <summary>Adds the matching spans of <paramref name="trace"/> to <paramref name="matches"/>; false when the trace does not match.</summary>
    public abstract bool Evaluate(TraceView trace, List<StoredSpan> matches);
}
