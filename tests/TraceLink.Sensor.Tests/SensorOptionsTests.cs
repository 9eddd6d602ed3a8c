namespace TraceLink.Sensor.Tests;

public sealed class SensorOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.Null(new SensorOptions().Validate());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4097)]
    public void Payload_size_outside_the_bpf_ceiling_is_rejected(int bytes)
    {
        Assert.Contains("payload", new SensorOptions { PayloadBytes = bytes }.Validate(), StringComparison.Ordinal);
    }

    [Fact]
    public void Ring_buffer_size_must_be_a_power_of_two()
    {
        Assert.NotNull(new SensorOptions { RingBufferBytes = 3 * 1024 * 1024 }.Validate());
    }

    [Fact]
    public void Bad_port_and_long_process_name_are_rejected()
    {
        var ports = new SensorOptions();
        ports.Ports.Add(70000);
        var names = new SensorOptions();
        names.ProcessNames.Add("a-process-name-too-long");

        Assert.Contains("70000", ports.Validate(), StringComparison.Ordinal);
        Assert.Contains("15 characters", names.Validate(), StringComparison.Ordinal);
    }
}
