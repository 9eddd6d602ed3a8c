using System.Diagnostics;

using TraceLink.Query.PromQL.Parser;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

/// <summary>Evaluates PromQL instant and range queries against an <see cref="ISeriesStore"/> with Prometheus semantics.</summary>
public sealed class PromQLEngine
{
    private readonly ISeriesStore _store;
    private readonly PromQLOptions _options;

    /// <summary>Creates an engine over a store.</summary>
    public PromQLEngine(ISeriesStore store, PromQLOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new PromQLOptions();
    }

    /// <summary>The options in effect.</summary>
    public PromQLOptions Options => _options;

    /// <summary>Runs an instant query at <paramref name="timeMs"/>; throws <see cref="PromQLParseException"/> or <see cref="PromQLException"/>.</summary>
    public QueryResult Instant(string query, long timeMs, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var expr = PromQLParser.ParseExpr(query);
        return Run(expr, timeMs, timeMs, 1, true, timeout, cancellationToken);
    }

    /// <summary>Runs a range query over [start, end] every <paramref name="stepMs"/>.</summary>
    public QueryResult Range(string query, long startMs, long endMs, long stepMs, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var expr = PromQLParser.ParseExpr(query);
        if (expr.Type is not (PromValueType.Scalar or PromValueType.Vector))
        {
            throw new PromQLException(PromQLErrorType.BadData, $"invalid expression type \"{PromQLParser.TypeName(expr.Type)}\" for range query, must be Scalar or instant Vector");
        }

        if (stepMs <= 0)
        {
            throw new PromQLException(PromQLErrorType.BadData, "zero or negative query resolution step widths are not accepted. Try a positive integer");
        }

        if (endMs < startMs)
        {
            throw new PromQLException(PromQLErrorType.BadData, "end timestamp must not be before start time");
        }

        return Run(expr, startMs, endMs, stepMs, false, timeout, cancellationToken);
    }

    private QueryResult Run(Expr expr, long start, long end, long interval, bool instant, TimeSpan? timeout, CancellationToken ct)
    {
        var t = timeout ?? _options.Timeout;
        if (t > _options.Timeout)
        {
            t = _options.Timeout;
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(t.TotalSeconds * Stopwatch.Frequency);
        var warnings = new List<string>();
        var infos = new List<string>();
        var ev = new Evaluator(_store, _options, start, end, interval, deadline, warnings, infos, ct);
        var v = ev.Eval(expr);
        switch (v)
        {
            case StringValue s:
                return new QueryResult { Type = PromValueType.String, String = s.Text, TimeMs = start, Warnings = warnings, Infos = infos };
            case ScalarValue sv when instant:
                return new QueryResult { Type = PromValueType.Scalar, Scalar = sv.Values[0], TimeMs = start, Warnings = warnings, Infos = infos };
            case ScalarValue sv:
                var pts = new FloatPoint[sv.Values.Length];
                for (var i = 0; i < pts.Length; i++)
                {
                    pts[i] = new FloatPoint(start + (i * interval), sv.Values[i]);
                }

                return new QueryResult { Type = PromValueType.Matrix, Series = [new ResultSeries([], pts, [])], TimeMs = start, Warnings = warnings, Infos = infos };
            default:
                break;
        }

        var m = ((MatrixValue)v).Series;
        Evaluator.CleanupMetricLabels(m);
        var series = new List<ResultSeries>(m.Count);
        foreach (var s in m)
        {
            series.Add(new ResultSeries(s.Metric, (IReadOnlyList<FloatPoint>?)s.Floats ?? [], (IReadOnlyList<HistogramPoint>?)s.Histograms ?? []));
        }

        if (instant && expr.Type == PromValueType.Vector)
        {
            return new QueryResult { Type = PromValueType.Vector, Series = series, TimeMs = start, Warnings = warnings, Infos = infos };
        }

        if (!instant)
        {
            series.Sort((a, b) => Labels.Compare(a.Metric, b.Metric));
        }

        return new QueryResult { Type = PromValueType.Matrix, Series = series, TimeMs = start, Warnings = warnings, Infos = infos };
    }
}
