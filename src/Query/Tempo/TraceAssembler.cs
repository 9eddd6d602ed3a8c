using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Storage.Spans;

namespace TraceLink.Query.Tempo;

/// <summary>
/// Groups stored spans into OTLP <see cref="TracesData"/> (resource, then scope), filling the messages
/// Grafana dereferences without checks: a resource with at least one attribute, a scope, a status.
/// </summary>
internal static class TraceAssembler
{
    /// <summary>Resource <c>service.name</c> used when a span's resource carries none (OTel's default).</summary>
    public const string UnknownService = "unknown_service";

    public static TracesData Assemble(IReadOnlyList<StoredSpan> spans)
    {
        var data = new TracesData();
        var byResource = new Dictionary<Resource, int>();
        var byScope = new Dictionary<(int Resource, InstrumentationScope Scope), ScopeSpans>();
        for (var i = 0; i < spans.Count; i++)
        {
            var stored = spans[i];
            var resource = stored.Resource ?? new Resource();
            if (!byResource.TryGetValue(resource, out var resourceIndex))
            {
                resourceIndex = data.ResourceSpans.Count;
                byResource.Add(resource, resourceIndex);
                data.ResourceSpans.Add(new ResourceSpans { Resource = WithServiceName(resource) });
            }

            var resourceSpans = data.ResourceSpans[resourceIndex];

            var scope = stored.Scope ?? new InstrumentationScope();
            if (!byScope.TryGetValue((resourceIndex, scope), out var scopeSpans))
            {
                scopeSpans = new ScopeSpans { Scope = scope };
                byScope.Add((resourceIndex, scope), scopeSpans);
                resourceSpans.ScopeSpans.Add(scopeSpans);
            }

            var span = stored.Span;
            if (span.Status is null)
            {
                // Copy rather than mutate: the store may hand out shared instances.
                span = span.Clone();
                span.Status = new Status();
            }

            scopeSpans.Spans.Add(span);
        }

        return data;
    }

    private static Resource WithServiceName(Resource resource)
    {
        foreach (var attribute in resource.Attributes)
        {
            if (attribute.Key == "service.name")
            {
                return resource;
            }
        }

        var copy = resource.Clone();
        copy.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = UnknownService } });
        return copy;
    }
}
