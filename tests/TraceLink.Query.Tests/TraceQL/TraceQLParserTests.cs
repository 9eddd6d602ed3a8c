using TraceLink.Query.TraceQL;

namespace TraceLink.Query.Tests.TraceQL;

public sealed class TraceQLParserTests
{
    [Theory]
    [InlineData("{ .a = 1 || .b = 2 && .c = 3 }", "{ ((.a = 1) || ((.b = 2) && (.c = 3))) }")]
    [InlineData("{ (.a = 1 || .b = 2) && .c = 3 }", "{ (((.a = 1) || (.b = 2)) && (.c = 3)) }")]
    [InlineData("{ !.a = 1 && .b = 2 }", "{ (!((.a = 1)) && (.b = 2)) }")]
    [InlineData("{ !(.a = 1 && .b = 2) }", "{ !(((.a = 1) && (.b = 2))) }")]
    [InlineData("{ .a = 1 } || { .b = 2 } && { .c = 3 }", "({ (.a = 1) } || ({ (.b = 2) } && { (.c = 3) }))")]
    [InlineData("({ .a = 1 } || { .b = 2 }) && { .c = 3 }", "(({ (.a = 1) } || { (.b = 2) }) && { (.c = 3) })")]
    public void And_binds_tighter_than_or_and_not_negates_the_comparison(string query, string expected)
    {
        Assert.Equal(expected, TraceQLParser.Parse(query).ToString());
    }

    [Fact]
    public void Scopes_intrinsics_and_literals_parse_to_their_kinds()
    {
        var query = TraceQLParser.Parse(
            "{resource.service.name=\"checkout\" && span.http.status_code>=500 && .\"a b\"!=nil && name=~\"GET.*\" && "
            + "status=error && kind=server && duration>1.5s && span:name!=`x` && .ratio>-0.5 && .ok=true}");

        Assert.Equal(
            "{ ((((((((((resource.service.name = \"checkout\") && (span.http.status_code >= 500)) && (.a b != nil)) "
            + "&& (name =~ \"GET.*\")) && (status = error)) && (kind = server)) && (duration > 1.5s)) && (span:name != \"x\")) "
            + "&& (.ratio > -0.5)) && (.ok = true)) }",
            query.ToString());
    }

    [Theory]
    [InlineData("100ms", 100_000_000L)]
    [InlineData("1.5s", 1_500_000_000L)]
    [InlineData("1h30m", 5_400_000_000_000L)]
    [InlineData("10us", 10_000L)]
    [InlineData("2d", 172_800_000_000_000L)]
    public void Duration_literals_become_nanoseconds(string literal, long nanoseconds)
    {
        var query = TraceQLParser.Parse("{ duration > " + literal + " }");
        var filter = Assert.IsType<SpansetFilter>(query.Root);
        var comparison = Assert.IsType<BinaryExpression>(filter.Expression);
        var value = Assert.IsType<LiteralExpression>(comparison.Right).Value;
        Assert.Equal(StaticType.Duration, value.Type);
        Assert.Equal(nanoseconds, value.Long);
    }

    [Fact]
    public void Empty_filter_matches_everything()
    {
        Assert.True(TraceQLParser.Parse("{}").MatchesEverything);
        Assert.True(TraceQLParser.Parse("{ true }").MatchesEverything);
        Assert.False(TraceQLParser.Parse("{ .a = 1 }").MatchesEverything);
    }

    [Fact]
    public void Select_lists_fields_to_report()
    {
        var query = TraceQLParser.Parse("{ status = error } | select(span.http.url, resource.k8s.pod.name)");
        Assert.Equal(["span.http.url", "resource.k8s.pod.name"], query.Selected.Select(s => s.ToString()!));
    }

    [Theory]
    [InlineData("{ .a = }", 8, "syntax error: unexpected CLOSE_BRACE")]
    [InlineData("{ .a = 1", 9, "syntax error: unexpected $end, expecting CLOSE_BRACE")]
    [InlineData("{ .a == 1 }", 7, "syntax error: unexpected EQ")]
    [InlineData(".a = 1", 1, "syntax error: unexpected DOT, expecting OPEN_BRACE")]
    [InlineData("{ .a = 1 } >> { .b = 2 }", 12, "structural operator '>>' is not supported")]
    [InlineData("{ .a = 1 } | count() > 2", 14, "pipeline stage 'count' is not supported")]
    [InlineData("{ name =~ \"(\" }", 11, "error parsing regexp:")]
    [InlineData("{ .a = \"x }", 8, "literal not terminated")]
    [InlineData("{ event:name = \"x\" }", 3, "intrinsic 'event:name' is not supported")]
    [InlineData("{ duration + 1 > 2 }", 12, "arithmetic is not supported")]
    public void Bad_queries_fail_with_the_position_of_the_offending_token(string query, int column, string detail)
    {
        var error = Assert.Throws<TraceQLParseException>(() => TraceQLParser.Parse(query));
        Assert.Equal(1, error.Line);
        Assert.Equal(column, error.Column);
        Assert.StartsWith(detail, error.Detail, StringComparison.Ordinal);
        Assert.StartsWith($"parse error at line 1, col {column}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_on_later_lines_report_line_and_column()
    {
        var error = Assert.Throws<TraceQLParseException>(() => TraceQLParser.Parse("{\n  .a = 1 &&\n  }"));
        Assert.Equal(3, error.Line);
        Assert.Equal(3, error.Column);
    }
}
