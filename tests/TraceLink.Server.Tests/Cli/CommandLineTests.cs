using System.Net;
using TraceLink.Server.Cli;

namespace TraceLink.Server.Tests.Cli;

public sealed class CommandLineTests
{
    [Fact]
    public void No_arguments_serve_with_the_documented_defaults()
    {
        var options = CommandLine.Parse([], out var error, out var help);

        Assert.NotNull(options);
        Assert.Null(error);
        Assert.False(help);
        Assert.Equal("./data", options.DataDirectory);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 3200), options.Listen);
        Assert.Equal(TimeSpan.FromDays(7), options.Retention);
    }

    [Fact]
    public void Serve_flags_are_parsed_in_both_spellings()
    {
        var options = CommandLine.Parse(["serve", "--data", "/tmp/x", "--listen=127.0.0.1:0", "--retention", "1h30m", "--max-request-bytes=1024"], out var error, out _);

        Assert.Null(error);
        Assert.Equal("/tmp/x", options!.DataDirectory);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 0), options.Listen);
        Assert.Equal(TimeSpan.FromMinutes(90), options.Retention);
        Assert.Equal(1024, options.MaxRequestBytes);
    }

    [Theory]
    [InlineData("unknown flag --bogus", "--bogus")]
    [InlineData("invalid --retention \"7x\"", "--retention", "7x")]
    [InlineData("invalid --retention \"0s\"", "--retention", "0s")]
    [InlineData("invalid --listen \"nowhere\"", "--listen", "nowhere")]
    [InlineData("invalid --listen \"1.2.3.4:99999\"", "--listen", "1.2.3.4:99999")]
    [InlineData("flag --data needs a value", "--data")]
    [InlineData("unknown command \"srve\"", "srve")]
    public void Bad_flags_give_one_line_naming_the_problem(string expectedStart, params string[] args)
    {
        var options = CommandLine.Parse(args, out var error, out var help);

        Assert.Null(options);
        Assert.False(help);
        Assert.StartsWith(expectedStart, error);
        Assert.DoesNotContain("\n", error!, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_is_recognised()
    {
        Assert.Null(CommandLine.Parse(["serve", "--help"], out var error, out var help));
        Assert.True(help);
        Assert.Null(error);
    }

    [Fact]
    public void Sensor_command_takes_an_export_url_and_repeatable_filters()
    {
        var options = CommandLine.Parse(["sensor", "--export", "http://10.0.0.5:3200", "--port", "8080", "--port", "443", "--process", "nginx", "--pid", "42"], out var error, out _);

        Assert.Null(error);
        Assert.Equal("sensor", options!.Command);
        Assert.Equal(new Uri("http://10.0.0.5:3200"), options.ExportUrl);
        Assert.Equal([8080, 443], options.SensorPorts);
        Assert.Equal(["nginx"], options.SensorProcesses);
        Assert.Equal([42], options.SensorPids);
    }

    [Theory]
    [InlineData("sensor needs --export URL", "sensor")]
    [InlineData("invalid --export \"ftp://x\"", "sensor", "--export", "ftp://x")]
    [InlineData("invalid --port \"70000\"", "sensor", "--export", "http://x", "--port", "70000")]
    public void Bad_sensor_flags_are_rejected(string expectedStart, params string[] args)
    {
        Assert.Null(CommandLine.Parse(args, out var error, out _));
        Assert.StartsWith(expectedStart, error);
    }

    [Fact]
    public void Optional_ingest_stages_can_be_switched_off()
    {
        var defaults = CommandLine.Parse(["serve"], out _, out _)!;
        var off = CommandLine.Parse(["serve", "--no-derived-signals", "--no-trace-linking", "--metrics-flush-interval", "2s"], out var error, out _);

        Assert.Null(error);
        Assert.True(defaults.DerivedSignals && defaults.TraceLinking);
        Assert.False(off!.DerivedSignals);
        Assert.False(off.TraceLinking);
        Assert.Equal(TimeSpan.FromSeconds(2), off.MetricsFlushInterval);
    }
}
