using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Sensor.Tests.EndToEnd;

/// <summary>An in-process sink that keeps every span the sensor exports, with its resource.</summary>
internal sealed class SpanCollector
{
    private readonly Lock _gate = new();
    private readonly List<(Resource Resource, Span Span)> _spans = [];

    public ValueTask Sink(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var request = ExportTraceServiceRequest.Parser.ParseFrom(body.Span);
        lock (_gate)
        {
            foreach (var resourceSpans in request.ResourceSpans)
            {
                foreach (var scope in resourceSpans.ScopeSpans)
                {
                    foreach (var span in scope.Spans)
                    {
                        _spans.Add((resourceSpans.Resource, span));
                    }
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public List<(Resource Resource, Span Span)> Snapshot()
    {
        lock (_gate)
        {
            return [.. _spans];
        }
    }

    /// <summary>Waits until <paramref name="predicate"/> holds for the collected spans or the timeout passes.</summary>
    public async Task<List<(Resource Resource, Span Span)>> WaitAsync(
        Func<List<(Resource Resource, Span Span)>, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var spans = Snapshot();
            if (predicate(spans) || DateTime.UtcNow > deadline)
            {
                return spans;
            }

            await Task.Delay(50);
        }
    }
}
