using TraceLink.Query.PromQL.Common;
using TraceLink.Query.PromQL.Engine;
using TraceLink.Query.PromQL.Parser;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.Tests.Engine;

public sealed class PromQLEngineTests
{
    private static InMemorySeriesStore Store()
    {
        var s = new InMemorySeriesStore();
        for (var i = 0; i <= 40; i++)
        {
            s.Add([new("__name__", "c"), new("job", "a")], i * 15_000L, i * 30);
        }

        return s;
    }

    [Fact]
    public void Range_query_aligns_points_to_start_plus_multiples_of_step()
    {
        var r = new PromQLEngine(Store()).Range("c", 7_000, 67_000, 20_000);
        var s = Assert.Single(r.Series);
        Assert.Equal([7_000L, 27_000L, 47_000L, 67_000L], s.Floats.Select(p => p.T));
        Assert.Equal([0d, 30d, 90d, 120d], s.Floats.Select(p => p.F));
    }

    [Fact]
    public void Instant_selector_looks_back_five_minutes_and_stops_at_a_stale_marker()
    {
        var s = Store();
        s.Add([new("__name__", "g")], 0, 1);
        s.Add([new("__name__", "g")], 60_000, StaleNaN.Value);
        var engine = new PromQLEngine(s);
        Assert.Single(engine.Instant("c", 600_000 + 300_000).Series);
        Assert.Empty(engine.Instant("c", 600_000 + 300_001).Series);
        Assert.Single(engine.Instant("g", 59_000).Series);
        Assert.Empty(engine.Instant("g", 61_000).Series);
    }

    [Fact]
    public void Rate_extrapolates_like_prometheus()
    {
        // 2 per second, samples every 15 s: rate over 1m is exactly 2.
        var r = new PromQLEngine(Store()).Instant("rate(c[1m])", 300_000);
        Assert.Equal(2, Assert.Single(r.Series).Floats[0].F, 9);
    }

    [Fact]
    public void Too_many_samples_is_an_execution_error()
    {
        var engine = new PromQLEngine(Store(), new PromQLOptions { MaxSamples = 5 });
        var ex = Assert.Throws<PromQLException>(() => engine.Range("c", 0, 600_000, 15_000));
        Assert.Equal(PromQLErrorType.Execution, ex.ErrorType);
        Assert.Equal("query processing would load too many samples into memory in query execution", ex.Message);
    }

    [Fact]
    public void Range_query_of_a_range_vector_is_bad_data()
    {
        var ex = Assert.Throws<PromQLException>(() => new PromQLEngine(Store()).Range("c[5m]", 0, 60_000, 15_000));
        Assert.Equal(PromQLErrorType.BadData, ex.ErrorType);
    }

    [Fact]
    public async Task Native_histogram_sum_and_quantile_work_on_integer_histograms_from_the_store()
    {
        var s = new InMemorySeriesStore();
        var app = s.Appender();
        foreach (var job in new[] { "a", "b" })
        {
            app.AppendHistogram([new("__name__", "h"), new("job", job)], 1000, new Histogram
            {
                Schema = 0,
                Count = 4,
                Sum = 6,
                PositiveSpans = [new BucketSpan(1, 2)],
                PositiveBuckets = [1, 2], // absolute 1 and 3 in buckets (1,2] and (2,4]
            });
        }

        await app.CommitAsync(CancellationToken.None);
        var engine = new PromQLEngine(s);
        var sum = Assert.Single(engine.Instant("sum(h)", 1000).Series).Histograms[0].H;
        Assert.Equal(8, sum.Count);
        Assert.Equal([2d, 6d], sum.PositiveBuckets);
        Assert.Equal(8, Assert.Single(engine.Instant("histogram_count(sum(h))", 1000).Series).Floats[0].F);
        Assert.Equal(2, Assert.Single(engine.Instant("histogram_quantile(0.25, sum(h))", 1000).Series).Floats[0].F, 9);
    }

    [Fact]
    public void Parse_errors_surface_as_parse_exceptions()
    {
        var ex = Assert.Throws<PromQLParseException>(() => new PromQLEngine(Store()).Instant("rate(c[5m]", 0));
        Assert.StartsWith("1:11: parse error:", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, "1")]
    [InlineData(1234567.8, "1234567.8")]
    [InlineData(1.2345678e-6, "0.0000012345678")]
    [InlineData(1.2345678e-67, "1.2345678e-67")]
    [InlineData(1e21, "1e+21")]
    [InlineData(-0.0, "-0")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(-1.5e300, "-1.5e+300")]
    [InlineData(0.1, "0.1")]
    [InlineData(123456789012345680000.0, "123456789012345680000")]
    [InlineData(5e-324, "5e-324")]
    public void Json_floats_use_go_formatting(double value, string expected) => Assert.Equal(expected, GoFloat.FormatJson(value));

    [Fact]
    public void Json_floats_of_every_magnitude_equal_go_f_formatting_from_digits()
    {
        // FormatJson takes .NET's shortest form where it is fixed-point; FormatF builds Go's 'f' from the digits.
        var random = new Random(11);
        for (int i = 0; i < 200_000; i++)
        {
            double value = BitConverter.Int64BitsToDouble(random.NextInt64());
            double scaled = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-7, 22));
            foreach (double f in new[] { value, scaled, Math.Round(scaled, 1), Math.Round(scaled, 2), Math.Round(scaled, 3), Math.Round(scaled, 4), Math.Round(scaled) })
            {
                double abs = Math.Abs(f);
                if (double.IsFinite(f) && (f == 0 || (abs >= 1e-6 && abs < 1e21)))
                {
                    Assert.Equal(GoFloat.FormatF(f), GoFloat.FormatJson(f));
                }
            }
        }
    }

    [Theory]
    [InlineData(100000, "100000", "100000")]
    [InlineData(1e6, "1e+06", "1000000")]
    [InlineData(1234567, "1.234567e+06", "1234567")]
    [InlineData(0.0001, "0.0001", "0.0001")]
    [InlineData(0.00001234, "1.234e-05", "0.00001234")]
    [InlineData(-2.5, "-2.5", "-2.5")]
    [InlineData(0.0, "0", "0")]
    public void Label_and_printer_floats_use_go_g_and_f_formatting(double value, string g, string f)
    {
        Assert.Equal(g, GoFloat.FormatG(value));
        Assert.Equal(f, GoFloat.FormatF(value));
        Assert.Equal("1" + new string('0', 300), GoFloat.FormatF(1e300));
    }
}
