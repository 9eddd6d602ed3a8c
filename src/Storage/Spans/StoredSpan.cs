using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Storage.Spans;

/// <summary>
/// A span read back from the span log, with the resource and scope it was ingested under.
/// <see cref="Locator"/> is its span-log address and identifies it uniquely.
/// </summary>
public sealed record StoredSpan(long Locator, Resource Resource, InstrumentationScope Scope, Span Span)
{
    /// <summary>The resource's <c>service.name</c>, or empty when absent.</summary>
    public string ServiceName
    {
        get
        {
            foreach (var attribute in Resource.Attributes)
            {
                if (attribute.Key == "service.name")
                {
                    return attribute.Value?.StringValue ?? string.Empty;
                }
            }

            return string.Empty;
        }
    }
}
