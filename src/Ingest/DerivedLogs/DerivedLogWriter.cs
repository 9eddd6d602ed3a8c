using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.IO.Hashing;
using System.Text;

using Google.Protobuf;
using Google.Protobuf.Collections;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Storage.Logs;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Ingest.DerivedLogs;

/// <summary>
/// Turns every stored span and span event into a log line carrying its trace and span id, then keeps
/// every error, every slow span and a deterministic fraction (by trace id) of the rest. Stream labels are
/// <c>service_name</c>, <c>level</c> and <c>source</c> (<c>span</c> or <c>span_event</c>).
/// </summary>
public sealed class DerivedLogWriter : ISpanBatchObserver
{
    /// <summary>Name of the meter carrying the derived-log self-metrics.</summary>
    public const string MeterName = "TraceLink.DerivedLogs";

    private const string RuleError = "error";
    private const string RuleSlow = "slow";
    private const string RuleSampled = "sampled";

    private readonly LogStore _store;
    private readonly DerivedLogOptions _options;
    private readonly ulong _slowThresholdNs;
    private readonly ulong _keepBelow;
    private readonly bool _keepAll;
    private readonly ConcurrentDictionary<(string Service, string Level, string Source), LogStreamInfo> _streams = new();
    private readonly Counter<long> _kept;
    private readonly Counter<long> _dropped;

    /// <summary>Creates the writer over <paramref name="store"/>; instruments come from <paramref name="meterFactory"/>.</summary>
    public DerivedLogWriter(LogStore store, DerivedLogOptions options, IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        options.Validate();
        _store = store;
        _options = options;
        _slowThresholdNs = (ulong)options.SlowThreshold.Ticks * 100;
        _keepAll = options.SampleRatio >= 1;
        _keepBelow = _keepAll ? ulong.MaxValue : (ulong)(options.SampleRatio * 18446744073709551616.0);
        var meter = meterFactory.Create(MeterName);
        _kept = meter.CreateCounter<long>("tracelink.derived_logs.kept", "{record}", "Derived log records stored, by the sampling rule that kept them.");
        _dropped = meter.CreateCounter<long>("tracelink.derived_logs.dropped", "{record}", "Derived log records dropped by sampling, by rule.");
    }

    /// <inheritdoc />
    public async ValueTask OnStoredAsync(ExportTraceServiceRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var records = new List<LogRecord>();
        long keptError = 0, keptSlow = 0, keptSampled = 0, droppedSampled = 0, keptEvents = 0, droppedEvents = 0;
        var line = new StringBuilder(256);
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resourceAttributes = resourceSpans.Resource?.Attributes;
            var service = SpanAttributeReader.ServiceName(resourceAttributes);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    var error = span.Status?.Code == Status.Types.StatusCode.Error;
                    var durationNs = span.EndTimeUnixNano > span.StartTimeUnixNano ? span.EndTimeUnixNano - span.StartTimeUnixNano : 0;
                    var keep = true;
                    if (error)
                    {
                        keptError++;
                    }
                    else if (durationNs >= _slowThresholdNs)
                    {
                        keptSlow++;
                    }
                    else if (Sampled(span))
                    {
                        keptSampled++;
                    }
                    else
                    {
                        droppedSampled++;
                        keep = false;
                    }

                    if (!keep)
                    {
                        droppedEvents += span.Events.Count;
                        continue;
                    }

                    var level = error ? "error" : "info";
                    FormatSpan(line, span, durationNs);
                    records.Add(new LogRecord(Stream(service, level, "span"), (long)span.StartTimeUnixNano, span.TraceId.Memory, span.SpanId.Memory, line.ToString()));
                    foreach (var spanEvent in span.Events)
                    {
                        var eventLevel = error || spanEvent.Name == "exception" ? "error" : "info";
                        FormatEvent(line, span, spanEvent);
                        var time = spanEvent.TimeUnixNano != 0 ? spanEvent.TimeUnixNano : span.StartTimeUnixNano;
                        records.Add(new LogRecord(Stream(service, eventLevel, "span_event"), (long)time, span.TraceId.Memory, span.SpanId.Memory, line.ToString()));
                        keptEvents++;
                    }
                }
            }
        }

        await _store.AppendAsync(records, cancellationToken);
        Count(_kept, keptError, RuleError, "span");
        Count(_kept, keptSlow, RuleSlow, "span");
        Count(_kept, keptSampled, RuleSampled, "span");
        Count(_dropped, droppedSampled, RuleSampled, "span");
        Count(_kept, keptEvents, "span", "span_event");
        Count(_dropped, droppedEvents, "span", "span_event");
    }

    /// <summary>The keep decision of the ratio rule: a pure function of the trace id, so every span of a trace agrees.</summary>
    internal bool Sampled(Span span)
    {
        if (_keepAll)
        {
            return true;
        }

        var id = span.TraceId.IsEmpty ? span.SpanId : span.TraceId;
        return XxHash64.HashToUInt64(id.Span) < _keepBelow;
    }

    private static void Count(Counter<long> counter, long value, string rule, string source)
    {
        if (value > 0)
        {
            counter.Add(value, new KeyValuePair<string, object?>("rule", rule), new KeyValuePair<string, object?>("source", source));
        }
    }

    private LogStreamInfo Stream(string service, string level, string source)
        => _streams.GetOrAdd((service, level, source), static (key, store) => store.GetOrAddStream(
            [new Label("level", key.Level), new Label("service_name", key.Service), new Label("source", key.Source)]), _store);

    private void FormatSpan(StringBuilder line, Span span, ulong durationNs)
    {
        line.Clear();
        var attributes = span.Attributes;
        if (TryFirst(attributes, "http.request.method", "http.method", out var method))
        {
            Field(line, "method", method);
        }

        if (TryFirst(attributes, "http.route", "url.path", out var route) || SpanAttributeReader.TryGet(attributes, "http.target", out route))
        {
            Field(line, "route", route);
        }

        if (TryFirst(attributes, "http.response.status_code", "http.status_code", out var status)
            || SpanAttributeReader.TryGet(attributes, "rpc.grpc.status_code", out status))
        {
            Field(line, "status", status);
        }

        line.Append(line.Length > 0 ? " duration=" : "duration=");
        AppendDuration(line, durationNs);
        Field(line, "span_name", span.Name);
        Field(line, "kind", KindName(span.Kind));
        if (span.Status is { Code: Status.Types.StatusCode.Error } spanStatus)
        {
            Field(line, "error", spanStatus.Message.Length > 0 ? spanStatus.Message : "true");
        }

        if (SpanAttributeReader.TryGet(attributes, "http.request.body", out var requestBody))
        {
            Field(line, "request_body", Excerpt(requestBody));
        }

        if (SpanAttributeReader.TryGet(attributes, "http.response.body", out var responseBody))
        {
            Field(line, "response_body", Excerpt(responseBody));
        }

        AppendIds(line, span.TraceId, span.SpanId);
    }

    private void FormatEvent(StringBuilder line, Span span, Span.Types.Event spanEvent)
    {
        line.Clear();
        Field(line, "event", spanEvent.Name);
        Field(line, "span_name", span.Name);
        var count = 0;
        foreach (var attribute in spanEvent.Attributes)
        {
            if (count++ >= _options.MaxEventAttributes)
            {
                break;
            }

            if (attribute.Value is { } value && SpanAttributeReader.TryRender(value, out var text))
            {
                Field(line, attribute.Key, Excerpt(text));
            }
        }

        AppendIds(line, span.TraceId, span.SpanId);
    }

    private string Excerpt(string value)
        => value.Length <= _options.MaxBodyExcerptChars ? value : string.Concat(value.AsSpan(0, _options.MaxBodyExcerptChars), "…");

    private static bool TryFirst(RepeatedField<KeyValue> attributes, string key, string fallback, out string value)
        => SpanAttributeReader.TryGet(attributes, key, out value) || SpanAttributeReader.TryGet(attributes, fallback, out value);

    private static void AppendIds(StringBuilder line, ByteString traceId, ByteString spanId)
    {
        // Grafana's derived field matches trace_id=<hex> on the line to link to the trace.
        Span<char> hex = stackalloc char[32];
        if (!traceId.IsEmpty && traceId.Length == 16)
        {
            Convert.TryToHexStringLower(traceId.Span, hex, out var written);
            line.Append(" trace_id=").Append(hex[..written]);
        }

        if (!spanId.IsEmpty && spanId.Length == 8)
        {
            Convert.TryToHexStringLower(spanId.Span, hex, out var written);
            line.Append(" span_id=").Append(hex[..written]);
        }
    }

    private static void AppendDuration(StringBuilder line, ulong ns)
    {
        if (ns >= 1_000_000_000)
        {
            line.Append((ns / 1e9).ToString("0.###", CultureInfo.InvariantCulture)).Append('s');
        }
        else if (ns >= 1_000_000)
        {
            line.Append((ns / 1e6).ToString("0.###", CultureInfo.InvariantCulture)).Append("ms");
        }
        else
        {
            line.Append((ns / 1e3).ToString("0.###", CultureInfo.InvariantCulture)).Append("µs");
        }
    }

    /// <summary>Appends <c> key=value</c> in logfmt, quoting values with spaces, quotes, '=' or control characters.</summary>
    private static void Field(StringBuilder line, string key, string value)
    {
        if (line.Length > 0 && line[^1] != ' ')
        {
            line.Append(' ');
        }

        line.Append(key).Append('=');
        var quote = value.Length == 0;
        foreach (var c in value)
        {
            if (c is ' ' or '"' or '=' or '\\' || char.IsControl(c))
            {
                quote = true;
                break;
            }
        }

        if (!quote)
        {
            line.Append(value);
            return;
        }

        line.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    line.Append("\\\"");
                    break;
                case '\\':
                    line.Append("\\\\");
                    break;
                case '\n':
                    line.Append("\\n");
                    break;
                case '\r':
                    line.Append("\\r");
                    break;
                case '\t':
                    line.Append("\\t");
                    break;
                default:
                    if (char.IsControl(c))
                    {
                        line.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        line.Append(c);
                    }

                    break;
            }
        }

        line.Append('"');
    }

    private static string KindName(Span.Types.SpanKind kind) => kind switch
    {
        Span.Types.SpanKind.Internal => "internal",
        Span.Types.SpanKind.Server => "server",
        Span.Types.SpanKind.Client => "client",
        Span.Types.SpanKind.Producer => "producer",
        Span.Types.SpanKind.Consumer => "consumer",
        _ => "unspecified",
    };
}
