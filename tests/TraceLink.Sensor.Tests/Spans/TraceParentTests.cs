using System.Globalization;

using TraceLink.Sensor.Spans;

namespace TraceLink.Sensor.Tests.Spans;

public sealed class TraceParentTests
{
    [Fact]
    public void Valid_traceparent_yields_trace_id_parent_id_and_sampled_flag()
    {
        Assert.True(TraceParent.TryParse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", out var tp));

        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", tp.TraceId.ToString("x32", CultureInfo.InvariantCulture));
        Assert.Equal("00f067aa0ba902b7", tp.ParentId.ToString("x16", CultureInfo.InvariantCulture));
        Assert.True(tp.Sampled);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")]
    [InlineData("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")]
    [InlineData("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    public void Invalid_traceparent_is_rejected(string? value)
    {
        Assert.False(TraceParent.TryParse(value, out _));
    }

    [Fact]
    public void Future_version_with_extra_fields_is_read()
    {
        Assert.True(TraceParent.TryParse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-whatever", out var tp));
        Assert.False(tp.Sampled);
    }
}
