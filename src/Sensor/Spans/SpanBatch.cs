using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Sensor.Capture;

namespace TraceLink.Sensor.Spans;

/// <summary>Collects sensor spans grouped by process until they are taken as one OTLP export request.</summary>
internal sealed class SpanBatch
{
    private readonly SpanFactory _factory;
    private readonly Dictionary<uint, ScopeSpans> _byPid = [];
    private ExportTraceServiceRequest _request = new();

    public SpanBatch(SpanFactory factory)
    {
        _factory = factory;
    }

    public int Count { get; private set; }

    public void Add(HttpExchange exchange)
    {
        uint pid = exchange.Connection.Pid;
        if (!_byPid.TryGetValue(pid, out var scope))
        {
            scope = new ScopeSpans { Scope = new OpenTelemetry.Proto.Common.V1.InstrumentationScope { Name = "tracelink.sensor" } };
            var resourceSpans = new ResourceSpans { Resource = _factory.ResourceFor(pid) };
            resourceSpans.ScopeSpans.Add(scope);
            _request.ResourceSpans.Add(resourceSpans);
            _byPid[pid] = scope;
        }

        scope.Spans.Add(_factory.Build(exchange));
        Count++;
    }

    /// <summary>Returns the spans collected so far (null when none) and starts a new batch.</summary>
    public ExportTraceServiceRequest? Take()
    {
        if (Count == 0)
        {
            return null;
        }

        var request = _request;
        _request = new ExportTraceServiceRequest();
        _byPid.Clear();
        Count = 0;
        return request;
    }
}
