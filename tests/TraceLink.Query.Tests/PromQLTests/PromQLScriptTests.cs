using Xunit.Abstractions;

namespace TraceLink.Query.Tests.PromQLTests;

public sealed class PromQLScriptTests(ITestOutputHelper output)
{
    private static string Dir => Path.Combine(AppContext.BaseDirectory, "PromQLTests");

    private static Dictionary<string, string> LoadSkipped()
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(Path.Combine(Dir, "skipped.txt")))
        {
            var t = line.Trim();
            if (t.Length == 0 || t.StartsWith('#'))
            {
                continue;
            }

            var sp = t.IndexOf(' ', StringComparison.Ordinal);
            d[sp < 0 ? t : t[..sp]] = sp < 0 ? string.Empty : t[(sp + 1)..].Trim();
        }

        return d;
    }

    [Fact]
    public void Prometheus_promql_test_scripts_pass_at_least_95_percent_and_only_listed_cases_are_skipped()
    {
        var skipped = LoadSkipped();
        var all = new List<CaseResult>();
        foreach (var file in Directory.GetFiles(Path.Combine(Dir, "testdata"), "*.test").Order(StringComparer.Ordinal))
        {
            var runner = new PromQLScriptRunner(skipped);
            all.AddRange(runner.Run(Path.GetFileName(file), File.ReadAllText(file)));
        }

        var passed = all.Count(r => r.Passed);
        var failed = all.Where(r => !r.Passed && !r.Skipped).ToList();
        foreach (var f in failed)
        {
            output.WriteLine($"FAIL {f.File}:{f.Line} {f.Command}\n    {f.Error}");
        }

        var rate = 100.0 * passed / all.Count;
        output.WriteLine($"PromQL scripts: {passed}/{all.Count} eval cases passed ({rate:F1}%), {all.Count(r => r.Skipped)} skipped, {failed.Count} failed");
        Assert.True(rate >= 95.0, $"pass rate {rate:F1}% is below 95%");
        Assert.Empty(failed);
    }
}
