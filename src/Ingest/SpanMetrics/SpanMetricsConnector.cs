using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Text;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Storage.Metadata;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Ingest.SpanMetrics;

/// <summary>
/// Derives RED metrics from stored spans, as the OpenTelemetry Collector's spanmetrics connector does:
/// <c>traces_spanmetrics_calls_total</c> and the native histogram <c>traces_spanmetrics_duration_seconds</c>
/// keyed by service, span name, kind, status and configured dimensions. State is cumulative and in memory
/// (bounded by the cardinality limit); every flush interval it is written to the TSDB with trace-id exemplars.
/// </summary>
public sealed partial class SpanMetricsConnector : ISpanBatchObserver, IAsyncDisposable
{
    /// <summary>Name of the meter carrying the connector's self-metrics.</summary>
    public const string MeterName = "TraceLink.SpanMetrics";

    private static readonly string[] KindNames =
    [
        "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER",
    ];

    private static readonly string[] StatusNames = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

    private readonly ISeriesStore _store;
    private readonly SpanMetricsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _callsName;
    private readonly string _durationName;
    private readonly byte[][] _dimensionKeys;
    private readonly string?[] _dimensionDefaults;
    private readonly string[] _dimensionLabels;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _flushGate = new(1, 1);
    private readonly Dictionary<SeriesKey, SeriesState> _series = new(SeriesKeyComparer.Instance);
    private readonly Dictionary<SeriesKey, SeriesState>.AlternateLookup<SeriesProbe> _lookup;
    private readonly SeriesState _overflow;
    private readonly Counter<long> _overflowUpdates;
    private readonly Counter<long> _spans;
    private readonly Counter<long> _flushFailures;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _lastFlushMs = long.MinValue;

    /// <summary>
    /// Creates the connector writing to <paramref name="store"/>; call <see cref="Start"/> to flush periodically. The type
    /// and help of the two metric families are registered in <paramref name="metadata"/> when given.
    /// </summary>
    public SpanMetricsConnector(ISeriesStore store, SpanMetricsOptions options, IMeterFactory meterFactory, TimeProvider? timeProvider = null, ILogger<SpanMetricsConnector>? logger = null, MetricMetadataStore? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        options.Validate();
        _store = store;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _callsName = options.Namespace + "_calls_total";
        _durationName = options.Namespace + "_duration_seconds";
        if (metadata is not null)
        {
            metadata.Set(_callsName, new MetricMetadata(MetricType.Counter, "Number of spans, by service, span name, kind, status and configured dimensions.", string.Empty));
            metadata.Set(_durationName, new MetricMetadata(MetricType.Histogram, "Duration of spans, by service, span name, kind, status and configured dimensions.", "seconds"));
            metadata.Flush();
        }

        var dimensions = options.Dimensions;
        _dimensionKeys = new byte[dimensions.Count][];
        _dimensionDefaults = new string?[dimensions.Count];
        _dimensionLabels = new string[dimensions.Count];
        for (var i = 0; i < dimensions.Count; i++)
        {
            _dimensionKeys[i] = Encoding.UTF8.GetBytes(dimensions[i].Name);
            _dimensionDefaults[i] = dimensions[i].Default;
            _dimensionLabels[i] = SanitizeLabelName(dimensions[i].Name);
        }

        _lookup = _series.GetAlternateLookup<SeriesProbe>();
        var overflowLabel = new Label("otel_metric_overflow", "true");
        _overflow = new SeriesState(
            [new Label("__name__", _callsName), overflowLabel],
            [new Label("__name__", _durationName), overflowLabel],
            options.InitialSchema,
            options.MaxBuckets,
            options.MaxExemplarsPerSeries);

        var meter = meterFactory.Create(MeterName);
        _spans = meter.CreateCounter<long>("tracelink.spanmetrics.spans", "{span}", "Spans aggregated into span metrics.");
        _overflowUpdates = meter.CreateCounter<long>("tracelink.spanmetrics.overflow_updates", "{span}", "Spans aggregated into the otel_metric_overflow series because the cardinality limit was reached.");
        _flushFailures = meter.CreateCounter<long>("tracelink.spanmetrics.flush_failures", "{flush}", "Flushes of span metrics to the TSDB that failed (retried at the next interval).");
        meter.CreateObservableGauge("tracelink.spanmetrics.series", () => SeriesCount, "{series}", "Distinct label sets held by the span-metrics connector, excluding overflow.");
    }

    /// <summary>Distinct label sets held in memory, excluding the overflow series.</summary>
    public int SeriesCount
    {
        get
        {
            lock (_gate)
            {
                return _series.Count;
            }
        }
    }

    /// <summary>Starts the periodic flush; safe to call once.</summary>
    public void Start()
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("span metrics connector already started");
        }

        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <inheritdoc />
    public ValueTask OnStoredAsync(OtlpSpanBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var count = 0;
        var overflowed = 0;
        // One scratch array per batch, not per span.
        var dimensions = new string?[_dimensionKeys.Length];
        var body = batch.Body.Span;
        var spans = batch.Spans;
        char[]? rented = null;
        Span<char> name = stackalloc char[256];
        try
        {
            lock (_gate)
            {
                foreach (ref readonly var resource in batch.Resources)
                {
                    var resourceBytes = body[resource.Resource];
                    var service = SpanAttributeReader.ServiceName(resourceBytes);
                    for (var i = resource.FirstSpan; i < resource.FirstSpan + resource.SpanCount; i++)
                    {
                        ref readonly var span = ref spans[i];
                        var nameBytes = body[span.Name];
                        if (nameBytes.Length > name.Length)
                        {
                            if (rented is not null)
                            {
                                ArrayPool<char>.Shared.Return(rented);
                            }

                            rented = ArrayPool<char>.Shared.Rent(nameBytes.Length);
                            name = rented;
                        }

                        count++;
                        if (!Record(service, body, span, name[..Encoding.UTF8.GetChars(nameBytes, name)], resourceBytes, dimensions))
                        {
                            overflowed++;
                        }
                    }
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }

        _spans.Add(count);
        if (overflowed > 0)
        {
            _overflowUpdates.Add(overflowed);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Writes the current cumulative value of every series (and this interval's exemplars) to the TSDB in one
    /// batch, timestamped now. Called by the periodic loop; public so shutdown and tests can force a flush.
    /// </summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await _flushGate.WaitAsync(cancellationToken);
        try
        {
            var appender = _store.Appender();
            var candidates = new List<ExemplarCandidate>();
            lock (_gate)
            {
                var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
                // Sample timestamps of a series must increase even if the clock did not move between flushes.
                now = Math.Max(now, _lastFlushMs + 1);
                _lastFlushMs = now;
                foreach (var state in _series.Values)
                {
                    AppendSeries(appender, state, now, candidates);
                }

                if (_overflow.Duration.Count > 0)
                {
                    AppendSeries(appender, _overflow, now, candidates);
                }
            }

            await appender.CommitAsync(cancellationToken);
        }
        finally
        {
            _flushGate.Release();
        }
    }

    /// <summary>Stops the periodic flush and writes a last batch.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        try
        {
            await FlushAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFlushFailed(_logger, ex);
        }

        _stop.Dispose();
        _flushGate.Dispose();
    }

    private bool Record(string service, ReadOnlySpan<byte> body, in WireSpan span, ReadOnlySpan<char> spanName, ReadOnlySpan<byte> resource, Span<string?> dimensions)
    {
        var spanBytes = body[span.Message];
        for (var i = 0; i < _dimensionKeys.Length; i++)
        {
            dimensions[i] = SpanAttributeReader.TryGet(spanBytes, resource, _dimensionKeys[i], out var value) ? value : _dimensionDefaults[i];
        }

        var kind = span.Kind;
        if ((uint)kind >= (uint)KindNames.Length)
        {
            kind = 0;
        }

        var status = span.StatusCode;
        if ((uint)status >= (uint)StatusNames.Length)
        {
            status = 0;
        }

        var probe = new SeriesProbe(service, spanName, kind, status, dimensions);
        var inLimit = true;
        if (!_lookup.TryGetValue(probe, out var state))
        {
            if (_series.Count >= _options.CardinalityLimit)
            {
                state = _overflow;
                inLimit = false;
            }
            else
            {
                var key = SeriesKeyComparer.Instance.Create(probe);
                state = CreateState(key);
                _series.Add(key, state);
            }
        }

        var seconds = span.EndTimeUnixNano > span.StartTimeUnixNano ? (span.EndTimeUnixNano - span.StartTimeUnixNano) / 1e9 : 0d;
        var bucket = state.Duration.Record(seconds);
        var traceId = body[span.TraceId];
        if (_options.MaxExemplarsPerSeries >= 0 && !traceId.IsEmpty)
        {
            var spanId = body[span.SpanId];
            var candidate = new ExemplarCandidate
            {
                TraceId = BinaryPrimitives.ReadUInt128BigEndian(traceId),
                SpanId = spanId.Length == 8 ? BinaryPrimitives.ReadUInt64BigEndian(spanId) : 0,
                HasSpanId = spanId.Length == 8,
                Seconds = seconds,
                TimestampMs = (long)(span.EndTimeUnixNano / 1_000_000),
                Error = status == (int)Status.Types.StatusCode.Error,
                Bucket = bucket,
            };
            state.Exemplars.Offer(candidate);
        }

        return inLimit;
    }

    private SeriesState CreateState(SeriesKey key)
    {
        var labels = new List<Label>(5 + key.Dimensions.Length)
        {
            new("service_name", key.Service),
            new("span_name", key.SpanName),
            new("span_kind", KindNames[key.Kind]),
            new("status_code", StatusNames[key.Status]),
        };
        for (var i = 0; i < key.Dimensions.Length; i++)
        {
            if (key.Dimensions[i] is { } value)
            {
                labels.Add(new Label(_dimensionLabels[i], value));
            }
        }

        var calls = new Label[labels.Count + 1];
        var duration = new Label[labels.Count + 1];
        calls[0] = new Label("__name__", _callsName);
        duration[0] = new Label("__name__", _durationName);
        labels.CopyTo(calls, 1);
        labels.CopyTo(duration, 1);
        // Upper-case label names sort before "__name__", so sort the whole set rather than assume its place.
        Array.Sort(calls, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        Array.Sort(duration, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new SeriesState(calls, duration, _options.InitialSchema, _options.MaxBuckets, _options.MaxExemplarsPerSeries);
    }

    private static void AppendSeries(ISampleAppender appender, SeriesState state, long now, List<ExemplarCandidate> candidates)
    {
        var histogram = state.Duration;
        appender.AppendFloat(state.CallsLabels, now, histogram.Count);
        // The first sample after (re)start follows whatever an earlier process wrote: a reset. Later samples only grow.
        appender.AppendHistogram(state.DurationLabels, now, histogram.ToHistogram(state.Flushed ? CounterResetHint.NotCounterReset : CounterResetHint.CounterReset));
        state.Flushed = true;

        candidates.Clear();
        state.Exemplars.Drain(candidates);
        if (candidates.Count == 0)
        {
            return;
        }

        // Every kept candidate is written, even one that ended before an exemplar of an earlier flush (its batch arrived
        // late): the exemplar store keeps each series' exemplars in time order whatever the order they come in.
        Span<byte> ids = stackalloc byte[24];
        foreach (var candidate in candidates)
        {
            BinaryPrimitives.WriteUInt128BigEndian(ids, candidate.TraceId);
            BinaryPrimitives.WriteUInt64BigEndian(ids[16..], candidate.SpanId);
            Label[] labels =
            [
                new("span_id", candidate.HasSpanId ? Convert.ToHexStringLower(ids[16..]) : string.Empty),
                new("trace_id", Convert.ToHexStringLower(ids[..16])),
            ];
            appender.AppendExemplar(state.DurationLabels, new Exemplar(labels, candidate.Seconds, candidate.TimestampMs));
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.FlushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await FlushAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // State is cumulative, so the next flush carries everything this one missed.
                    _flushFailures.Add(1);
                    LogFlushFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Prometheus translation of an attribute name to a label name: invalid characters become '_'.</summary>
    internal static string SanitizeLabelName(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                chars[i] = '_';
            }
        }

        var sanitized = new string(chars);
        return sanitized.Length > 0 && char.IsAsciiDigit(sanitized[0]) ? "key_" + sanitized : sanitized;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Span metrics flush to the TSDB failed; retrying at the next interval")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
