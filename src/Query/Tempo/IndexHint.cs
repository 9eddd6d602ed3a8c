using System.Text;

using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Query.TraceQL;
using TraceLink.Storage.Spans;

namespace TraceLink.Query.Tempo;

/// <summary>
/// Finds correlation-index keys every matching trace must have a span under: an equality on
/// <c>resource.service.name</c>, <c>name</c>, <c>status</c> or <c>kind</c> that the query cannot match without.
/// <c>&amp;&amp;</c> picks one side, <c>||</c> needs keys on both sides and unions them.
/// </summary>
internal static class IndexHint
{
    private const int MaxAlternatives = 32;

    /// <summary>The keys to look up (any of them), or null when the query needs a scan.</summary>
    public static List<(IndexKind Kind, byte[] Value)>? For(SpansetExpression expression) => expression switch
    {
        SpansetFilter { Expression: { } field } => For(field),
        SpansetOperation { Op: Operator.And } and => Best(For(and.Left), For(and.Right)),
        SpansetOperation { Op: Operator.Or } or => Union(For(or.Left), For(or.Right)),
        _ => null,
    };

    private static List<(IndexKind Kind, byte[] Value)>? For(FieldExpression expression)
    {
        if (expression is not BinaryExpression binary)
        {
            return null;
        }

        switch (binary.Op)
        {
            case Operator.And:
                return Best(For(binary.Left), For(binary.Right));
            case Operator.Or:
                return Union(For(binary.Left), For(binary.Right));
            case Operator.Eq or Operator.LooseEq:
                var (field, literal) = binary.Right is LiteralExpression right
                    ? (binary.Left, right.Value)
                    : binary.Left is LiteralExpression left ? (binary.Right, left.Value) : (null, default);
                var key = Key(field, literal);
                return key is null ? null : [key.Value];
            default:
                return null;
        }
    }

    private static (IndexKind Kind, byte[] Value)? Key(FieldExpression? field, Static literal)
    {
        switch (field)
        {
            case AttributeExpression { Scope: AttributeScope.Resource, Name: "service.name" } when literal.Type == StaticType.String:
                return (IndexKind.Service, Encoding.UTF8.GetBytes(literal.String));
            case IntrinsicExpression { Intrinsic: Intrinsic.Name } when literal.Type == StaticType.String:
                return (IndexKind.SpanName, Encoding.UTF8.GetBytes(literal.String));
            case IntrinsicExpression { Intrinsic: Intrinsic.Status } when literal.Type == StaticType.Status:
                return (IndexKind.Status, [(byte)literal.Long]);
            case IntrinsicExpression { Intrinsic: Intrinsic.Kind } when literal.Type == StaticType.Kind:
                return (IndexKind.Kind, SpanIndexValues.Kind((Span.Types.SpanKind)literal.Long));
            default:
                return null;
        }
    }

    private static List<(IndexKind Kind, byte[] Value)>? Best(List<(IndexKind Kind, byte[] Value)>? a, List<(IndexKind Kind, byte[] Value)>? b)
    {
        if (a is null || b is null)
        {
            return a ?? b;
        }

        // Names and services are usually more selective than a status, and a status more than a kind;
        // fewer alternatives read less.
        var rankA = Rank(a);
        var rankB = Rank(b);
        return rankA != rankB ? (rankA < rankB ? a : b) : (a.Count <= b.Count ? a : b);
    }

    private static int Rank(List<(IndexKind Kind, byte[] Value)> keys)
    {
        var rank = 0;
        foreach (var (kind, _) in keys)
        {
            rank = Math.Max(rank, kind switch { IndexKind.Kind => 3, IndexKind.Status => 2, IndexKind.Service => 1, _ => 0 });
        }

        return rank;
    }

    private static List<(IndexKind Kind, byte[] Value)>? Union(List<(IndexKind Kind, byte[] Value)>? a, List<(IndexKind Kind, byte[] Value)>? b)
    {
        if (a is null || b is null || a.Count + b.Count > MaxAlternatives)
        {
            return null;
        }

        return [.. a, .. b];
    }
}
