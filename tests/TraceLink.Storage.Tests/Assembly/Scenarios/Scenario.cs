using OpenTelemetry.Proto.Collector.Trace.V1;

namespace TraceLink.Storage.Tests.Assembly.Scenarios;

/// <summary>Generated spans in emission order plus the ground truth: each span's true parent and trace.</summary>
internal sealed class Scenario
{
    public required List<ExportTraceServiceRequest> Batches { get; init; }

    /// <summary>Span gid → parent gid, for every span that has a parent.</summary>
    public required Dictionary<int, int> TrueParent { get; init; }

    /// <summary>Span gid → index of its trace.</summary>
    public required Dictionary<int, int> TraceOf { get; init; }

    public required List<ScenarioTrace> Traces { get; init; }

    public int SpanCount => TraceOf.Count;
}
