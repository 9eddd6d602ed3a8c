namespace TraceLink.Server.Tests.Support;

/// <summary>Tests that run <c>serve --sensor</c> go one at a time: each attaches system-wide probes and times the hops.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SensorServeGroup
{
    /// <summary>The collection name.</summary>
    public const string Name = "serve-sensor";
}
