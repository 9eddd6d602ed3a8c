namespace TraceLink.Query.Tests.PromQLTests;

public sealed class PromQLScriptRunnerTests
{
    private static List<CaseResult> Run(string script) => new PromQLScriptRunner(new Dictionary<string, string>()).Run("inline.test", script);

    [Fact]
    public void Runner_fails_a_case_whose_expected_value_is_wrong()
    {
        var results = Run("""
            load 1m
              up{job="a"} 0+1x10

            eval instant at 5m up
              up{job="a"} 6
            """);
        var r = Assert.Single(results);
        Assert.False(r.Passed);
        Assert.Contains("expected 6", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Runner_fails_a_case_with_a_missing_series_and_passes_the_correct_one()
    {
        var results = Run("""
            load 1m
              up{job="a"} 0+1x10
              up{job="b"} 1x10

            eval instant at 5m up
              up{job="a"} 5

            eval instant at 5m up
              up{job="a"} 5
              up{job="b"} 1

            eval range from 0 to 2m step 1m up{job="a"} * 2
              {job="a"} 0 2 4
            """);
        Assert.Equal([false, true, true], results.Select(r => r.Passed));
    }

    [Fact]
    public void Runner_checks_at_modifier_variants_against_the_same_expectation()
    {
        // rate over a window pinned with @ must give the same result at every evaluation time.
        var results = Run("""
            load 1m
              c 0+60x20

            eval instant at 10m rate(c[5m])
              {} 1
            """);
        Assert.True(Assert.Single(results).Passed, results[0].Error);
    }
}
