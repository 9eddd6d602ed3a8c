using Google.Protobuf;

using TraceLink.Query.TraceQL;
using TraceLink.Storage.Spans;

namespace TraceLink.Query.Tempo;

/// <summary>One search hit: the trace and its spans that matched the query (in start order).</summary>
internal sealed record TraceMatch(ByteString TraceId, TraceView Trace, List<StoredSpan> Matched);
