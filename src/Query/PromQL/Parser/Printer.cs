using System.Globalization;
using System.Text;

using TraceLink.Query.PromQL.Common;

namespace TraceLink.Query.PromQL.Parser;

/// <summary>Prints an AST in Prometheus's canonical form (what <c>/api/v1/format_query</c> returns).</summary>
internal static class Printer
{
    public static string Print(Expr e)
    {
        var sb = new StringBuilder();
        Write(sb, e);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, Expr e)
    {
        switch (e)
        {
            case NumberLiteral n:
                sb.Append(FormatNumber(n.Value));
                break;
            case StringLiteral s:
                sb.Append(Quote(s.Value));
                break;
            case ParenExpr p:
                sb.Append('(');
                Write(sb, p.Inner);
                sb.Append(')');
                break;
            case UnaryExpr u:
                sb.Append(u.Op == TokenKind.Sub ? '-' : '+');
                Write(sb, u.Operand);
                break;
            case BinaryExpr b:
                Write(sb, b.Lhs);
                sb.Append(' ').Append(PromQLParser.OpName(b.Op));
                if (b.ReturnBool)
                {
                    sb.Append(" bool");
                }

                var vm = b.Matching;
                if (vm != null && (vm.MatchingLabels.Count > 0 || vm.On))
                {
                    sb.Append(vm.On ? " on (" : " ignoring (").AppendJoin(", ", vm.MatchingLabels).Append(')');
                    if (vm.Card is VectorMatchCardinality.ManyToOne or VectorMatchCardinality.OneToMany)
                    {
                        sb.Append(vm.Card == VectorMatchCardinality.ManyToOne ? " group_left (" : " group_right (").AppendJoin(", ", vm.Include).Append(')');
                    }
                }

                sb.Append(' ');
                Write(sb, b.Rhs);
                break;
            case Call c:
                sb.Append(c.Function.Name).Append('(');
                for (var i = 0; i < c.Args.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    Write(sb, c.Args[i]);
                }

                sb.Append(')');
                break;
            case AggregateExpr a:
                sb.Append(a.Op);
                if (a.Without)
                {
                    sb.Append(" without (").AppendJoin(", ", a.Grouping).Append(") ");
                }
                else if (a.Grouping.Count > 0)
                {
                    sb.Append(" by (").AppendJoin(", ", a.Grouping).Append(") ");
                }

                sb.Append('(');
                if (a.Param != null)
                {
                    Write(sb, a.Param);
                    sb.Append(", ");
                }

                Write(sb, a.Inner);
                sb.Append(')');
                break;
            case VectorSelector v:
                WriteSelector(sb, v);
                WriteAtOffset(sb, v.Timestamp, v.At, v.OffsetMs);
                break;
            case MatrixSelector m:
                WriteSelector(sb, m.Selector);
                sb.Append('[').Append(PromDuration.Format(m.RangeMs)).Append(']');
                WriteAtOffset(sb, m.Selector.Timestamp, m.Selector.At, m.Selector.OffsetMs);
                break;
            case SubqueryExpr q:
                Write(sb, q.Inner);
                sb.Append('[').Append(PromDuration.Format(q.RangeMs)).Append(':');
                if (q.StepMs != 0)
                {
                    sb.Append(PromDuration.Format(q.StepMs));
                }

                sb.Append(']');
                WriteAtOffset(sb, q.Timestamp, q.At, q.OffsetMs);
                break;
            default:
                throw new InvalidOperationException("unknown node " + e.GetType().Name);
        }
    }

    internal static string FormatNumber(double v) => GoFloat.FormatG(v) switch
    {
        var s when s.StartsWith("0e", StringComparison.Ordinal) => "0",
        var s => s,
    };

    private static void WriteSelector(StringBuilder sb, VectorSelector v)
    {
        if (v.Name != null)
        {
            sb.Append(v.Name);
        }

        var first = true;
        foreach (var m in v.Matchers)
        {
            if (v.Name != null && m.Name == "__name__" && m.Type == Storage.Tsdb.MatchType.Equal && m.Value == v.Name)
            {
                continue;
            }

            sb.Append(first ? "{" : ", ");
            first = false;
            sb.Append(m.ToString());
        }

        if (!first)
        {
            sb.Append('}');
        }
    }

    private static void WriteAtOffset(StringBuilder sb, long? ts, AtModifier at, long offset)
    {
        if (ts is long t)
        {
            sb.Append(" @ ").Append((t / 1000.0).ToString("F3", CultureInfo.InvariantCulture));
        }
        else if (at == AtModifier.Start)
        {
            sb.Append(" @ start()");
        }
        else if (at == AtModifier.End)
        {
            sb.Append(" @ end()");
        }

        if (offset > 0)
        {
            sb.Append(" offset ").Append(PromDuration.Format(offset));
        }
        else if (offset < 0)
        {
            sb.Append(" offset -").Append(PromDuration.Format(-offset));
        }
    }

    internal static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default: sb.Append(c); break;
            }
        }

        return sb.Append('"').ToString();
    }
}
