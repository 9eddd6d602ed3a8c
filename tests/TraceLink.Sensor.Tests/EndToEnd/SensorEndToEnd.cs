namespace TraceLink.Sensor.Tests.EndToEnd;

/// <summary>End-to-end sensor tests run one at a time: each attaches system-wide probes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SensorEndToEnd
{
    public const string Name = "sensor-e2e";

    /// <summary>Why the sensor cannot run here (not root, no BTF, no tracefs), or null.</summary>
    public static string? SkipReason() => SensorHost.Check();
}
