using TraceLink.Query.TraceQL;

namespace TraceLink.Query.Tempo;

/// <summary>A validated <c>/api/search</c> request.</summary>
internal sealed record SearchParameters(
    TraceQLQuery Query,
    long FromUnixNano,
    long ToUnixNano,
    int Limit,
    int SpansPerSpanSet,
    long MinTraceDurationNanos,
    long MaxTraceDurationNanos);
