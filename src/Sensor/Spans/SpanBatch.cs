using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Sensor.Capture;
using TraceLink.Sensor.Http;

namespace TraceLink.Sensor.Spans;

/// <summary>
/// Collects paired exchanges until they are taken as one OTLP export request, spans grouped by process.
/// The spans are built when the batch is taken, not when an exchange arrives: a waiting exchange holds only
/// its two parsed messages, several times smaller than its OTLP span, so the garbage collections that run
/// while a batch fills promote little, and the spans go straight to the sink.
/// </summary>
internal sealed class SpanBatch
{
    private readonly SpanFactory _factory;
    private readonly Dictionary<uint, ScopeSpans> _byPid = [];
    private readonly List<HttpExchange> _exchanges = [];
    private readonly HttpMessagePool? _messages;

    /// <param name="factory">Builds the spans.</param>
    /// <param name="messages">Where the exchanges' messages go back once their span is built (the parsers' pool), if anywhere.</param>
    public SpanBatch(SpanFactory factory, HttpMessagePool? messages = null)
    {
        _factory = factory;
        _messages = messages;
    }

    public int Count => _exchanges.Count;

    public void Add(HttpExchange exchange) => _exchanges.Add(exchange);

    /// <summary>Returns the spans of the exchanges collected so far (null when none) and starts a new batch.</summary>
    public ExportTraceServiceRequest? Take()
    {
        if (_exchanges.Count == 0)
        {
            return null;
        }

        var request = new ExportTraceServiceRequest();
        foreach (var exchange in _exchanges)
        {
            uint pid = exchange.Connection.Pid;
            if (!_byPid.TryGetValue(pid, out var scope))
            {
                scope = new ScopeSpans { Scope = new OpenTelemetry.Proto.Common.V1.InstrumentationScope { Name = "tracelink.sensor" } };
                var resourceSpans = new ResourceSpans { Resource = _factory.ResourceFor(pid) };
                resourceSpans.ScopeSpans.Add(scope);
                request.ResourceSpans.Add(resourceSpans);
                _byPid[pid] = scope;
            }

            scope.Spans.Add(_factory.Build(exchange));
            if (_messages is not null)
            {
                // the span holds copies or shared strings, never the messages themselves
                _messages.Return(exchange.Request);
                _messages.Return(exchange.Response);
            }
        }

        _exchanges.Clear();
        _byPid.Clear();
        return request;
    }
}
