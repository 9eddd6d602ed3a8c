using TraceLink.Query.PromQL.Parser;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Query.Tests.Parser;

public sealed class PromQLParserTests
{
    [Theory]
    [InlineData("1 + 2 * 3", "1 + 2 * 3")]
    [InlineData("foo{a=\"b\",c!~\"d.*\"}[5m] offset -1h", "foo{a=\"b\", c!~\"d.*\"}[5m] offset -1h")]
    [InlineData("sum by(job)(rate(x[5m]))", "sum by (job) (rate(x[5m]))")]
    [InlineData("sum(rate(x[5m])) without (instance)", "sum without (instance) (rate(x[5m]))")]
    [InlineData("topk(3, x)", "topk(3, x)")]
    [InlineData("count_values(\"v\", x)", "count_values(\"v\", x)")]
    [InlineData("quantile(0.9, x)", "quantile(0.9, x)")]
    [InlineData("limitk(2, x)", "limitk(2, x)")]
    [InlineData("limit_ratio(0.5, x)", "limit_ratio(0.5, x)")]
    [InlineData("a / on(job) group_left(instance) b", "a / on (job) group_left (instance) b")]
    [InlineData("a > bool ignoring(x) b", "a > bool ignoring (x) b")]
    [InlineData("rate(x[5m])[30m:1m] @ start()", "rate(x[5m])[30m:1m] @ start()")]
    [InlineData("x @ 100 offset 5m", "x @ 100.000 offset 5m")]
    [InlineData("0x1F + Inf - nan", "31 + +Inf - NaN")]
    [InlineData("x[90s:]", "x[1m30s:]")]
    [InlineData("a and b or c unless d", "a and b or c unless d")]
    public void Format_prints_canonical_prometheus_form(string input, string expected) =>
        Assert.Equal(expected, PromQLParser.ParseExpr(input).ToString());

    [Fact]
    public void Power_is_right_associative_and_binds_tighter_than_unary_minus()
    {
        var e = (UnaryExpr)PromQLParser.ParseExpr("-2 ^ 3 ^ 2");
        var pow = (BinaryExpr)e.Operand;
        Assert.Equal(TokenKind.Pow, pow.Op);
        Assert.IsType<NumberLiteral>(pow.Lhs);
        Assert.Equal(TokenKind.Pow, ((BinaryExpr)pow.Rhs).Op);
    }

    [Fact]
    public void Multiplication_binds_tighter_than_comparison_and_set_operators()
    {
        var e = (BinaryExpr)PromQLParser.ParseExpr("a or b > c * d");
        Assert.Equal(TokenKind.Or, e.Op);
        var cmp = (BinaryExpr)e.Rhs;
        Assert.Equal(TokenKind.Gtr, cmp.Op);
        Assert.Equal(TokenKind.Mul, ((BinaryExpr)cmp.Rhs).Op);
    }

    [Fact]
    public void Selector_keeps_all_four_matcher_kinds_and_the_name_matcher()
    {
        var vs = (VectorSelector)PromQLParser.ParseExpr("up{a=\"1\",b!=\"2\",c=~\"3\",d!~\"4\"}");
        Assert.Equal([MatchType.Equal, MatchType.Equal, MatchType.NotEqual, MatchType.Regex, MatchType.NotRegex], vs.Matchers.Select(m => m.Type));
        Assert.Equal("__name__", vs.Matchers[0].Name);
    }

    [Fact]
    public void Aggregation_accepts_grouping_before_or_after_the_arguments()
    {
        var a = (AggregateExpr)PromQLParser.ParseExpr("max without (a, b) (x)");
        var b = (AggregateExpr)PromQLParser.ParseExpr("max(x) without (a, b)");
        Assert.True(a.Without && b.Without);
        Assert.Equal(a.Grouping, b.Grouping);
    }

    [Theory]
    [InlineData("sum(rate(x[5m])", "1:16: parse error: unexpected end of input")]
    [InlineData("foo{a=\"b\"", "1:10: parse error: unexpected end of input")]
    [InlineData("1 > 2", "1:3: parse error: comparisons between scalars must use BOOL modifier")]
    [InlineData("rate(x)", "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector")]
    [InlineData("nosuchfn(x)", "1:1: parse error: unknown function with name \"nosuchfn\"")]
    [InlineData("{a=\"\"}", "1:1: parse error: vector selector must contain at least one non-empty matcher")]
    [InlineData("x + on(a) group_left(a) y", "1:1: parse error: label \"a\" must not occur in ON and GROUP clause at once")]
    [InlineData("1 and 2", "1:1: parse error: set operator \"and\" not allowed in binary scalar expression")]
    [InlineData("x offset 1m offset 2m", "1:1: parse error: offset may not be set multiple times")]
    [InlineData("(x)[5m]", "1:1: parse error: ranges only allowed for vector selectors")]
    [InlineData("topk(x)", "1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1")]
    [InlineData("", "1:1: parse error: no expression found in input")]
    public void Errors_name_the_position_like_prometheus(string input, string expectedPrefix)
    {
        var ex = Assert.Throws<PromQLParseException>(() => PromQLParser.ParseExpr(input));
        Assert.StartsWith(expectedPrefix, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_on_a_later_line_count_lines_and_columns()
    {
        var ex = Assert.Throws<PromQLParseException>(() => PromQLParser.ParseExpr("sum(\n  x +\n)"));
        Assert.StartsWith("3:1: parse error:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void String_literals_support_escapes_and_raw_strings()
    {
        var c = (Call)PromQLParser.ParseExpr("label_replace(x, \"a\\tb\", '\\u00e9', `c\\d`, \"\")");
        Assert.Equal("a\tb", ((StringLiteral)c.Args[1]).Value);
        Assert.Equal("é", ((StringLiteral)c.Args[2]).Value);
        Assert.Equal("c\\d", ((StringLiteral)c.Args[3]).Value);
    }

    [Fact]
    public void Durations_combine_units_and_plain_numbers_are_seconds()
    {
        Assert.Equal(5400_000, ((MatrixSelector)PromQLParser.ParseExpr("x[1h30m]")).RangeMs);
        Assert.Equal(90_000, ((MatrixSelector)PromQLParser.ParseExpr("x[90]")).RangeMs);
        Assert.Equal(-300_000, ((VectorSelector)PromQLParser.ParseExpr("x offset -5m")).OffsetMs);
    }
}
