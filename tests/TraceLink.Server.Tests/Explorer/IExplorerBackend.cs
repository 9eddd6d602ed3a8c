using OpenTelemetry.Proto.Collector.Trace.V1;

namespace TraceLink.Server.Tests.Explorer;

/// <summary>A server the Explorer browser tests point Chromium at: it serves the page and the APIs the page reads.</summary>
internal interface IExplorerBackend : IAsyncDisposable
{
    Uri BaseAddress { get; }

    /// <summary>One line for the test output saying what is being tested.</summary>
    string Description { get; }

    /// <summary>Whether <c>/loki/api/v1/query_range</c> is served (the trace page's log lines come from it).</summary>
    bool ServesLogs { get; }

    Task IngestAsync(ExportTraceServiceRequest request);
}
