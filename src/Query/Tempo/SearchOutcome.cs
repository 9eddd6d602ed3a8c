namespace TraceLink.Query.Tempo;

/// <summary>Search hits newest first, plus what the search looked at (reported in <c>metrics</c>).</summary>
internal sealed record SearchOutcome(List<TraceMatch> Traces, int InspectedTraces, long InspectedSpans, bool Truncated);
