using System.Text.RegularExpressions;

namespace TraceLink.Query.TraceQL;

/// <summary>
/// <c>a &amp;&amp; b</c>, <c>a || b</c> and comparisons. Mismatched types and missing attributes compare false,
/// except <c>= nil</c> / <c>!= nil</c>; arrays match when any element does (<c>!=</c>/<c>!~</c>: when none does).
/// </summary>
internal sealed class BinaryExpression : FieldExpression
{
    private readonly Regex? _regex;

    public BinaryExpression(Operator op, FieldExpression left, FieldExpression right, Regex? regex = null)
    {
        Op = op;
        Left = left;
        Right = right;
        _regex = regex;
    }

    public Operator Op { get; }

    public FieldExpression Left { get; }

    public FieldExpression Right { get; }

    public override Static Evaluate(StoredSpanView span)
    {
        switch (Op)
        {
            case Operator.And:
                {
                    var left = Left.Evaluate(span);
                    if (left.Type != StaticType.Bool)
                    {
                        return Static.Nil;
                    }

                    if (!left.Bool)
                    {
                        return Static.FromBool(false);
                    }

                    var right = Right.Evaluate(span);
                    return right.Type == StaticType.Bool ? right : Static.Nil;
                }

            case Operator.Or:
                {
                    var left = Left.Evaluate(span);
                    if (left.Type == StaticType.Bool && left.Bool)
                    {
                        return left;
                    }

                    var right = Right.Evaluate(span);
                    if (right.Type == StaticType.Bool && right.Bool)
                    {
                        return right;
                    }

                    return left.Type == StaticType.Bool || right.Type == StaticType.Bool ? Static.FromBool(false) : Static.Nil;
                }

            default:
                return Static.FromBool(Compare(Left.Evaluate(span), Right.Evaluate(span)));
        }
    }

    private bool Compare(Static left, Static right)
    {
        if (left.Type == StaticType.Array)
        {
            var negated = Op is Operator.Neq or Operator.Nre;
            var values = left.ArrayValues;
            for (var i = 0; i < values.Count; i++)
            {
                var element = Static.FromAnyValue(values[i]);
                if (negated ? !CompareScalar(element, right) : CompareScalar(element, right))
                {
                    return !negated;
                }
            }

            return negated && values.Count > 0;
        }

        return CompareScalar(left, right);
    }

    private bool CompareScalar(Static left, Static right)
    {
        if (left.Type == StaticType.Nil || right.Type == StaticType.Nil)
        {
            // A literal nil tests presence; a missing attribute compared to a value never matches.
            var leftIsLiteralNil = Left is LiteralExpression { Value.Type: StaticType.Nil };
            var rightIsLiteralNil = Right is LiteralExpression { Value.Type: StaticType.Nil };
            if (!leftIsLiteralNil && !rightIsLiteralNil)
            {
                return false;
            }

            var other = rightIsLiteralNil ? left : right;
            return Op switch
            {
                Operator.Eq => other.Type == StaticType.Nil,
                Operator.Neq => other.Type != StaticType.Nil,
                _ => false,
            };
        }

        if (Op == Operator.LooseEq)
        {
            return string.Equals(left.ToLooseString(), right.ToLooseString(), StringComparison.Ordinal);
        }

        if (Op is Operator.Re or Operator.Nre)
        {
            if (left.Type != StaticType.String || _regex is null)
            {
                return false;
            }

            var isMatch = _regex.IsMatch(left.String);
            return Op == Operator.Re ? isMatch : !isMatch;
        }

        int order;
        if (IsNumber(left.Type) && IsNumber(right.Type))
        {
            order = left.Type == StaticType.Int && right.Type == StaticType.Int
                ? left.Long.CompareTo(right.Long)
                : AsDouble(left).CompareTo(AsDouble(right));
        }
        else if (left.Type != right.Type)
        {
            return false;
        }
        else
        {
            switch (left.Type)
            {
                case StaticType.String:
                    order = string.CompareOrdinal(left.String, right.String);
                    break;
                case StaticType.Duration:
                    order = left.Long.CompareTo(right.Long);
                    break;
                case StaticType.Bool or StaticType.Status or StaticType.Kind:
                    // Only equality is defined for these types.
                    return Op switch
                    {
                        Operator.Eq => left.Long == right.Long,
                        Operator.Neq => left.Long != right.Long,
                        _ => false,
                    };
                default:
                    return false;
            }
        }

        return Op switch
        {
            Operator.Eq => order == 0,
            Operator.Neq => order != 0,
            Operator.Gt => order > 0,
            Operator.Gte => order >= 0,
            Operator.Lt => order < 0,
            Operator.Lte => order <= 0,
            _ => false,
        };
    }

    private static bool IsNumber(StaticType type) => type is StaticType.Int or StaticType.Float;

    private static double AsDouble(Static value) => value.Type == StaticType.Int ? value.Long : value.Double;

    public override string ToString()
    {
        var symbol = Op switch
        {
            Operator.And => "&&",
            Operator.Or => "||",
            Operator.Eq or Operator.LooseEq => "=",
            Operator.Neq => "!=",
            Operator.Re => "=~",
            Operator.Nre => "!~",
            Operator.Gt => ">",
            Operator.Gte => ">=",
            Operator.Lt => "<",
            _ => "<=",
        };
        return "(" + Left + " " + symbol + " " + Right + ")";
    }
}
