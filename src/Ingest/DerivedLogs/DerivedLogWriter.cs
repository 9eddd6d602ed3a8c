using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.IO.Hashing;
using System.Text;

using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Protocol.Wire;
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
    public async ValueTask OnStoredAsync(OtlpSpanBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var records = new List<LogRecord>();
        long keptError = 0, keptSlow = 0, keptSampled = 0, droppedSampled = 0, keptEvents = 0, droppedEvents = 0;
        var line = new StringBuilder(256);
        var body = batch.Body;
        var spans = batch.Spans;
        foreach (ref readonly var resource in batch.Resources)
        {
            var service = SpanAttributeReader.ServiceName(body.Span[resource.Resource]);
            for (var i = resource.FirstSpan; i < resource.FirstSpan + resource.SpanCount; i++)
            {
                ref readonly var span = ref spans[i];
                var error = span.StatusCode == (int)Status.Types.StatusCode.Error;
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
                else if (Sampled(body.Span[span.TraceId], body.Span[span.SpanId]))
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
                    droppedEvents += span.EventCount;
                    continue;
                }

                var level = error ? "error" : "info";
                var traceId = body[span.TraceId];
                var spanId = body[span.SpanId];
                var spanName = Encoding.UTF8.GetString(body.Span[span.Name]);
                FormatSpan(line, body.Span, span, spanName, durationNs);
                records.Add(new LogRecord(Stream(service, level, "span"), (long)span.StartTimeUnixNano, traceId, spanId, line.ToString()));
                if (span.EventCount == 0)
                {
                    continue;
                }

                var events = new ProtoReader(body.Span[span.Message]);
                while (!events.End)
                {
                    if (events.Tag(out var wireType) != 11 || wireType != 2)
                    {
                        events.Skip(wireType);
                        continue;
                    }

                    var spanEvent = events.Bytes();
                    var (time, eventName) = ReadEvent(spanEvent);
                    var eventLevel = error || eventName == "exception" ? "error" : "info";
                    FormatEvent(line, spanEvent, eventName, spanName, body.Span[span.TraceId], body.Span[span.SpanId]);
                    records.Add(new LogRecord(Stream(service, eventLevel, "span_event"), (long)(time != 0 ? time : span.StartTimeUnixNano), traceId, spanId, line.ToString()));
                    keptEvents++;
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
    internal bool Sampled(ReadOnlySpan<byte> traceId, ReadOnlySpan<byte> spanId)
    {
        if (_keepAll)
        {
            return true;
        }

        return XxHash64.HashToUInt64(traceId.IsEmpty ? spanId : traceId) < _keepBelow;
    }

    /// <summary>Time (0 when unset) and name of an encoded <c>Span.Event</c>.</summary>
    private static (ulong Time, string Name) ReadEvent(ReadOnlySpan<byte> spanEvent)
    {
        ulong time = 0;
        ReadOnlySpan<byte> name = default;
        var reader = new ProtoReader(spanEvent);
        while (!reader.End)
        {
            var field = reader.Tag(out var wireType);
            if (field == 1 && wireType == 1)
            {
                time = reader.Fixed64();
            }
            else if (field == 2 && wireType == 2)
            {
                name = reader.Bytes();
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return (time, Encoding.UTF8.GetString(name));
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

    private void FormatSpan(StringBuilder line, ReadOnlySpan<byte> body, in WireSpan span, string spanName, ulong durationNs)
    {
        line.Clear();
        var attributes = body[span.Message];
        if (TryFirst(attributes, "http.request.method"u8, "http.method"u8, out var method))
        {
            Field(line, "method", method);
        }

        if (TryFirst(attributes, "http.route"u8, "url.path"u8, out var route) || SpanAttributeReader.TryGetSpan(attributes, "http.target"u8, out route))
        {
            Field(line, "route", route);
        }

        if (TryFirst(attributes, "http.response.status_code"u8, "http.status_code"u8, out var status)
            || SpanAttributeReader.TryGetSpan(attributes, "rpc.grpc.status_code"u8, out status))
        {
            Field(line, "status", status);
        }

        line.Append(line.Length > 0 ? " duration=" : "duration=");
        AppendDuration(line, durationNs);
        Field(line, "span_name", spanName);
        Field(line, "kind", KindName((Span.Types.SpanKind)span.Kind));
        if (span.StatusCode == (int)Status.Types.StatusCode.Error)
        {
            var message = body[span.StatusMessage];
            Field(line, "error", message.Length > 0 ? Encoding.UTF8.GetString(message) : "true");
        }

        if (SpanAttributeReader.TryGetSpan(attributes, "http.request.body"u8, out var requestBody))
        {
            Field(line, "request_body", Excerpt(requestBody));
        }

        if (SpanAttributeReader.TryGetSpan(attributes, "http.response.body"u8, out var responseBody))
        {
            Field(line, "response_body", Excerpt(responseBody));
        }

        AppendIds(line, body[span.TraceId], body[span.SpanId]);
    }

    private void FormatEvent(StringBuilder line, ReadOnlySpan<byte> spanEvent, string eventName, string spanName, ReadOnlySpan<byte> traceId, ReadOnlySpan<byte> spanId)
    {
        line.Clear();
        Field(line, "event", eventName);
        Field(line, "span_name", spanName);
        var count = 0;
        foreach (var attribute in new WireAttributeReader(spanEvent, WireAttributeReader.ScopeOrEventField))
        {
            if (count++ >= _options.MaxEventAttributes)
            {
                break;
            }

            if (attribute.TryRender(out var text))
            {
                Field(line, Encoding.UTF8.GetString(attribute.Key), Excerpt(text));
            }
        }

        AppendIds(line, traceId, spanId);
    }

    private string Excerpt(string value)
        => value.Length <= _options.MaxBodyExcerptChars ? value : string.Concat(value.AsSpan(0, _options.MaxBodyExcerptChars), "…");

    private static bool TryFirst(ReadOnlySpan<byte> span, ReadOnlySpan<byte> key, ReadOnlySpan<byte> fallback, out string value)
        => SpanAttributeReader.TryGetSpan(span, key, out value) || SpanAttributeReader.TryGetSpan(span, fallback, out value);

    private static void AppendIds(StringBuilder line, ReadOnlySpan<byte> traceId, ReadOnlySpan<byte> spanId)
    {
        // Grafana's derived field matches trace_id=<hex> on the line to link to the trace.
        Span<char> hex = stackalloc char[32];
        if (traceId.Length == 16)
        {
            Convert.TryToHexStringLower(traceId, hex, out var written);
            line.Append(" trace_id=").Append(hex[..written]);
        }

        if (spanId.Length == 8)
        {
            Convert.TryToHexStringLower(spanId, hex, out var written);
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
