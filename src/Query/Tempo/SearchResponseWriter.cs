using System.Globalization;
using System.Text.Json;

using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Query.TraceQL;

namespace TraceLink.Query.Tempo;

/// <summary>
/// Writes <c>tempopb.SearchResponse</c> as proto3 canonical JSON: fields in proto order, 64-bit numbers as
/// strings, zero values omitted, and only the <c>metrics</c> keys Grafana's strict decoder knows.
/// </summary>
internal static class SearchResponseWriter
{
    /// <summary>Tempo's text for a trace whose root span is unknown.</summary>
    public const string RootSpanNotYetReceived = "<root span not yet received>";

    public static void Write(Utf8JsonWriter writer, SearchOutcome outcome, SearchParameters parameters)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("traces");
        foreach (var match in outcome.Traces)
        {
            WriteTrace(writer, match, parameters);
        }

        writer.WriteEndArray();
        writer.WriteStartObject("metrics");
        if (outcome.InspectedTraces > 0)
        {
            writer.WriteNumber("inspectedTraces", outcome.InspectedTraces);
        }

        writer.WriteNumber("completedJobs", 1);
        writer.WriteNumber("totalJobs", 1);
        if (outcome.InspectedSpans > 0)
        {
            writer.WriteString("inspectedSpans", outcome.InspectedSpans.ToString(CultureInfo.InvariantCulture));
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteTrace(Utf8JsonWriter writer, TraceMatch match, SearchParameters parameters)
    {
        var trace = match.Trace;
        writer.WriteStartObject();
        writer.WriteString("traceID", TraceIdHex.ToTrimmedHex(match.TraceId.Span));
        if (trace.Root is { } root)
        {
            WriteNonEmpty(writer, "rootServiceName", root.ServiceName);
            WriteNonEmpty(writer, "rootTraceName", root.Span.Name);
        }
        else
        {
            writer.WriteString("rootServiceName", RootSpanNotYetReceived);
        }

        writer.WriteString("startTimeUnixNano", trace.StartUnixNano.ToString(CultureInfo.InvariantCulture));
        var durationMs = trace.DurationNanos / 1_000_000;
        if (durationMs > 0)
        {
            writer.WriteNumber("durationMs", (uint)Math.Min(durationMs, uint.MaxValue));
        }

        // spanSet is the deprecated single copy of spanSets[0]; Tempo fills both and older Grafana reads it.
        writer.WritePropertyName("spanSet");
        WriteSpanSet(writer, match, parameters);
        writer.WriteStartArray("spanSets");
        WriteSpanSet(writer, match, parameters);
        writer.WriteEndArray();
        WriteServiceStats(writer, trace);
        writer.WriteEndObject();
    }

    private static void WriteSpanSet(Utf8JsonWriter writer, TraceMatch match, SearchParameters parameters)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("spans");
        var count = Math.Min(match.Matched.Count, parameters.SpansPerSpanSet);
        for (var i = 0; i < count; i++)
        {
            WriteSpan(writer, new StoredSpanView(match.Matched[i], match.Trace), parameters.Query);
        }

        writer.WriteEndArray();
        if (match.Matched.Count > 0)
        {
            writer.WriteNumber("matched", match.Matched.Count);
        }

        writer.WriteEndObject();
    }

    private static void WriteSpan(Utf8JsonWriter writer, StoredSpanView view, TraceQLQuery query)
    {
        var span = view.Stored.Span;
        writer.WriteStartObject();
        writer.WriteString("spanID", TraceIdHex.SpanIdToHex(span.SpanId.Span));
        WriteNonEmpty(writer, "name", span.Name);
        writer.WriteString("startTimeUnixNano", span.StartTimeUnixNano.ToString(CultureInfo.InvariantCulture));
        var duration = span.EndTimeUnixNano > span.StartTimeUnixNano ? span.EndTimeUnixNano - span.StartTimeUnixNano : 0;
        if (duration > 0)
        {
            writer.WriteString("durationNanos", duration.ToString(CultureInfo.InvariantCulture));
        }

        var written = new HashSet<string>(StringComparer.Ordinal);
        var started = false;
        WriteFields(writer, view, query.Referenced, written, ref started);
        WriteFields(writer, view, query.Selected, written, ref started);
        var service = view.Stored.ServiceName;
        if (service.Length > 0 && written.Add("service.name"))
        {
            StartAttributes(writer, ref started);
            OtlpJsonWriter.WriteKeyValue(writer, "service.name", new AnyValue { StringValue = service });
        }

        if (started)
        {
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteFields(Utf8JsonWriter writer, StoredSpanView view, IReadOnlyList<FieldExpression> fields, HashSet<string> written, ref bool started)
    {
        foreach (var field in fields)
        {
            switch (field)
            {
                case AttributeExpression attribute when attribute.Find(view) is { } value && written.Add(attribute.Name):
                    StartAttributes(writer, ref started);
                    OtlpJsonWriter.WriteKeyValue(writer, attribute.Name, value);
                    break;
                case IntrinsicExpression intrinsic when IntrinsicAttribute(intrinsic, view) is { } pair && written.Add(pair.Key):
                    StartAttributes(writer, ref started);
                    OtlpJsonWriter.WriteKeyValue(writer, pair.Key, new AnyValue { StringValue = pair.Value });
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>Intrinsics Tempo repeats as span attributes: status, kind, statusMessage (never name, duration, ids).</summary>
    private static KeyValuePair<string, string>? IntrinsicAttribute(IntrinsicExpression intrinsic, StoredSpanView view)
    {
        var span = view.Stored.Span;
        return intrinsic.Intrinsic switch
        {
            Intrinsic.Status => new("status", Static.StatusName(span.Status is null ? 0 : (long)span.Status.Code)),
            Intrinsic.Kind => new("kind", Static.KindName((long)span.Kind)),
            Intrinsic.StatusMessage when !string.IsNullOrEmpty(span.Status?.Message) => new("statusMessage", span.Status.Message),
            Intrinsic.InstrumentationName => new("instrumentation:name", view.Stored.Scope?.Name ?? string.Empty),
            Intrinsic.InstrumentationVersion => new("instrumentation:version", view.Stored.Scope?.Version ?? string.Empty),
            _ => null,
        };
    }

    private static void StartAttributes(Utf8JsonWriter writer, ref bool started)
    {
        if (!started)
        {
            writer.WriteStartArray("attributes");
            started = true;
        }
    }

    private static void WriteServiceStats(Utf8JsonWriter writer, TraceView trace)
    {
        var stats = new Dictionary<string, (int Spans, int Errors)>(StringComparer.Ordinal);
        foreach (var stored in trace.Spans)
        {
            var service = stored.ServiceName;
            stats.TryGetValue(service, out var current);
            var isError = stored.Span.Status?.Code == Status.Types.StatusCode.Error;
            stats[service] = (current.Spans + 1, current.Errors + (isError ? 1 : 0));
        }

        writer.WriteStartObject("serviceStats");
        foreach (var (service, (spans, errors)) in stats)
        {
            writer.WriteStartObject(service);
            writer.WriteNumber("spanCount", spans);
            if (errors > 0)
            {
                writer.WriteNumber("errorCount", errors);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteNonEmpty(Utf8JsonWriter writer, string name, string value)
    {
        if (value.Length > 0)
        {
            writer.WriteString(name, value);
        }
    }
}
