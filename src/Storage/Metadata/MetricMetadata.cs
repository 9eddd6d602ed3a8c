namespace TraceLink.Storage.Metadata;

/// <summary>One metadata entry of a metric family, as <c>/api/v1/metadata</c> lists it.</summary>
/// <param name="Type">Family type.</param>
/// <param name="Help">HELP text; empty when unknown.</param>
/// <param name="Unit">Unit; empty when unknown.</param>
public readonly record struct MetricMetadata(MetricType Type, string Help, string Unit)
{
    /// <summary>The type as Prometheus spells it in JSON (<c>counter</c>, <c>gaugehistogram</c>, ...).</summary>
    public string TypeName => Type switch
    {
        MetricType.Counter => "counter",
        MetricType.Gauge => "gauge",
        MetricType.Histogram => "histogram",
        MetricType.GaugeHistogram => "gaugehistogram",
        MetricType.Summary => "summary",
        MetricType.Info => "info",
        MetricType.StateSet => "stateset",
        _ => "unknown",
    };
}
