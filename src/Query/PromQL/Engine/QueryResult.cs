using TraceLink.Query.PromQL.Parser;

namespace TraceLink.Query.PromQL.Engine;

/// <summary>The value of an evaluated query plus its annotations.</summary>
public sealed class QueryResult
{
    /// <summary>Result type: vector and scalar for instant queries (or matrix for a range selector), matrix for range queries.</summary>
    public PromValueType Type { get; init; }

    /// <summary>Series of a vector (one point each) or matrix result.</summary>
    public IReadOnlyList<ResultSeries> Series { get; init; } = [];

    /// <summary>Scalar value (for <see cref="PromValueType.Scalar"/>).</summary>
    public double Scalar { get; init; }

    /// <summary>String value (for <see cref="PromValueType.String"/>).</summary>
    public string? String { get; init; }

    /// <summary>Evaluation time of an instant query, ms.</summary>
    public long TimeMs { get; init; }

    /// <summary>Warning annotations.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Info annotations.</summary>
    public IReadOnlyList<string> Infos { get; init; } = [];
}
