using System.Collections.Frozen;

namespace TraceLink.Query.PromQL.Parser;

/// <summary>The PromQL function table (Prometheus 2.55, experimental functions included).</summary>
public static class Functions
{
    private const PromValueType S = PromValueType.Scalar;
    private const PromValueType V = PromValueType.Vector;
    private const PromValueType M = PromValueType.Matrix;
    private const PromValueType Str = PromValueType.String;

    /// <summary>All functions by name.</summary>
    public static FrozenDictionary<string, FunctionInfo> ByName { get; } = Build();

    private static FrozenDictionary<string, FunctionInfo> Build()
    {
        var list = new List<FunctionInfo>();
        foreach (var n in new[]
                 {
                     "abs", "absent", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos", "cosh", "deg", "exp", "floor",
                     "histogram_avg", "histogram_count", "histogram_sum", "histogram_stddev", "histogram_stdvar", "ln", "log10", "log2",
                     "rad", "sgn", "sin", "sinh", "sort", "sort_desc", "sqrt", "tan", "tanh", "timestamp",
                 })
        {
            list.Add(new FunctionInfo(n, [V], 0, V));
        }

        foreach (var n in new[]
                 {
                     "absent_over_time", "avg_over_time", "changes", "count_over_time", "delta", "deriv", "idelta", "increase", "irate",
                     "last_over_time", "mad_over_time", "max_over_time", "min_over_time", "present_over_time", "rate", "resets",
                     "stddev_over_time", "stdvar_over_time", "sum_over_time",
                 })
        {
            list.Add(new FunctionInfo(n, [M], 0, V));
        }

        foreach (var n in new[] { "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year" })
        {
            list.Add(new FunctionInfo(n, [V], 1, V));
        }

        list.Add(new FunctionInfo("clamp", [V, S, S], 0, V));
        list.Add(new FunctionInfo("clamp_max", [V, S], 0, V));
        list.Add(new FunctionInfo("clamp_min", [V, S], 0, V));
        list.Add(new FunctionInfo("histogram_fraction", [S, S, V], 0, V));
        list.Add(new FunctionInfo("histogram_quantile", [S, V], 0, V));
        list.Add(new FunctionInfo("holt_winters", [M, S, S], 0, V));
        list.Add(new FunctionInfo("label_replace", [V, Str, Str, Str, Str], 0, V));
        list.Add(new FunctionInfo("label_join", [V, Str, Str, Str], -1, V));
        list.Add(new FunctionInfo("pi", [], 0, S));
        list.Add(new FunctionInfo("predict_linear", [M, S], 0, V));
        list.Add(new FunctionInfo("quantile_over_time", [S, M], 0, V));
        list.Add(new FunctionInfo("round", [V, S], 1, V));
        list.Add(new FunctionInfo("scalar", [V], 0, S));
        list.Add(new FunctionInfo("sort_by_label", [V, Str], -1, V));
        list.Add(new FunctionInfo("sort_by_label_desc", [V, Str], -1, V));
        list.Add(new FunctionInfo("time", [], 0, S));
        list.Add(new FunctionInfo("vector", [S], 0, V));
        var d = new Dictionary<string, FunctionInfo>(StringComparer.Ordinal);
        foreach (var f in list)
        {
            d[f.Name] = f;
        }

        return d.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
