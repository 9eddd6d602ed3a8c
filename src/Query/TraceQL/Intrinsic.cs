namespace TraceLink.Query.TraceQL;

/// <summary>TraceQL intrinsic fields TraceLink evaluates.</summary>
internal enum Intrinsic
{
    Name,
    Status,
    StatusMessage,
    Kind,
    Duration,
    RootName,
    RootServiceName,
    TraceDuration,
    TraceId,
    SpanId,
    ParentId,
    InstrumentationName,
    InstrumentationVersion,
}
