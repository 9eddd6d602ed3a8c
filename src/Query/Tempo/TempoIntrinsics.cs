namespace TraceLink.Query.Tempo;

/// <summary>The intrinsic tag names Tempo injects into <c>/api/v2/search/tags</c> (contract 2.5), in Tempo's order.</summary>
internal static class TempoIntrinsics
{
    public static readonly string[] Names =
    [
        "duration", "kind", "name", "rootName", "rootServiceName", "status", "statusMessage", "traceDuration",
        "event:name", "event:timeSinceStart", "link:spanID", "link:traceID", "instrumentation:name",
        "instrumentation:version", "trace:id", "span:id", "span:parentID", "span:status", "span:statusMessage",
        "span:duration", "span:name", "span:kind", "trace:rootName", "trace:rootService", "trace:duration",
    ];

    public static readonly string[] StatusValues = ["error", "ok", "unset"];

    public static readonly string[] KindValues = ["client", "consumer", "internal", "producer", "server", "unspecified"];
}
