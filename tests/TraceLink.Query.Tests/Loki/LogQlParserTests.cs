using TraceLink.Query.Loki;

using MatchType = TraceLink.Storage.Tsdb.MatchType;

namespace TraceLink.Query.Tests.Loki;

public sealed class LogQlParserTests
{
    [Fact]
    public void Selector_with_all_matcher_kinds_and_line_filters_is_parsed_in_order()
    {
        var query = LogQlParser.Parse("{service_name=\"cart\", level=~\"err.*\",source!=\"span_event\" , x!~`a|b`} |= \"GET\" != `health` |~ \"status=5\\\\d\\\\d\" !~ \"bot\"", out var error);

        Assert.Null(error);
        Assert.Equal(
            ["service_name=\"cart\"", "level=~\"err.*\"", "source!=\"span_event\"", "x!~\"a|b\""],
            query!.Matchers.Select(m => m.ToString()));
        Assert.Equal([MatchType.Equal, MatchType.Regex, MatchType.NotEqual, MatchType.NotRegex], query.Matchers.Select(m => m.Type));
        Assert.Equal([LineFilterType.Contains, LineFilterType.NotContains, LineFilterType.Matches, LineFilterType.NotMatches], query.Filters.Select(f => f.Type));
        Assert.Equal("status=5\\d\\d", query.Filters[2].Value);

        Assert.True(query.Accepts("GET /cart status=503"));
        Assert.False(query.Accepts("GET /health status=503"));
        Assert.False(query.Accepts("GET /cart status=200"));
        Assert.False(query.Accepts("GET /cart status=500 bot"));
        Assert.False(query.Accepts("POST /cart status=500"));
    }

    [Fact]
    public void Regex_line_filters_are_unanchored_and_label_regexes_are_anchored()
    {
        var query = LogQlParser.Parse("{level=~\"err\"} |~ \"rr\"", out _)!;

        Assert.True(query.Accepts("an error line"));
        Assert.True(query.Matchers[0].Matches("err"));
        Assert.False(query.Matchers[0].Matches("error"));
    }

    [Theory]
    [InlineData("service_name=\"cart\"", "parse error at line 1, col 1: syntax error: unexpected s, expecting {")]
    [InlineData("{service_name=\"cart\"", "parse error at line 1, col 21: syntax error: unexpected end of input, expecting }")]
    [InlineData("{service_name:\"cart\"}", "parse error at line 1, col 14: syntax error: unexpected character, expecting = or != or =~ or !~")]
    [InlineData("{service_name=\"cart}", "parse error at line 1, col 21: literal not terminated")]
    [InlineData("{a=\"b\"} | json", "parse error at line 1, col 9: syntax error: unexpected input; only line filters |= != |~ !~ are supported after the stream selector")]
    [InlineData("{a=\"b\"} |~ \"(\"", "parse error at line 1, col 15: invalid regex \"(\"")]
    public void Malformed_queries_give_Loki_style_parse_errors(string text, string expected)
    {
        Assert.Null(LogQlParser.Parse(text, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{level=~\".*\"}")]
    [InlineData("{level!=\"error\"}")]
    public void Selectors_that_match_everything_are_rejected_as_Loki_does(string text)
    {
        Assert.Null(LogQlParser.Parse(text, out var error));
        Assert.StartsWith("queries require at least one regexp or equality matcher that does not have an empty-compatible value", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{a=\"b\"} |= \"trace_id=5b8efff798038103d269b633813fc60c\"", "5b8efff798038103d269b633813fc60c")]
    [InlineData("{a=\"b\"} |= \"5b8efff798038103d269b633813fc60c\"", "5b8efff798038103d269b633813fc60c")]
    [InlineData("{a=\"b\"} |= \"trace_id=5b8e\"", null)]
    [InlineData("{a=\"b\"} != \"5b8efff798038103d269b633813fc60c\"", null)]
    public void A_trace_id_in_a_contains_filter_becomes_an_index_hint(string text, string? expected)
    {
        var hint = LogQlParser.Parse(text, out _)!.TraceIdHint();
        Assert.Equal(expected, hint is null ? null : Convert.ToHexStringLower(hint));
    }
}
