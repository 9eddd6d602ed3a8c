namespace TraceLink.Storage.Tests.Assembly.Scenarios;

/// <summary>How a simulated service is instrumented and schedules its work.</summary>
internal enum ServiceKind
{
    /// <summary>OpenTelemetry SDK (s-app/c-app spans, propagates traceparent), thread per request, syscall ids.</summary>
    Sdk,

    /// <summary>Un-instrumented, thread per request, syscall ids.</summary>
    Plain,

    /// <summary>Un-instrumented, thread per request, syscall trace ids disabled (only the thread rule joins it).</summary>
    PlainNoSyscall,

    /// <summary>Event-loop proxy: no usable syscall ids, shares threads across requests, joins only by X-Request-ID.</summary>
    Proxy,

    /// <summary>Answers inline (database, cache).</summary>
    Terminal,

    /// <summary>
    /// Un-instrumented event-loop application (Node-style): one thread interleaves many requests, and the kernel's
    /// per-thread syscall id (ingress mints, egress stamps and clears) mixes requests up.
    /// </summary>
    AsyncApp,

    /// <summary>SDK-instrumented load generator: client only.</summary>
    LoadGenerator,
}
