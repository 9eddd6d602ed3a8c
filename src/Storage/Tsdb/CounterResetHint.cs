namespace TraceLink.Storage.Tsdb;

/// <summary>Native-histogram counter reset hint, numbered as in Prometheus.</summary>
public enum CounterResetHint : byte
{
    /// <summary>Unknown whether a reset happened.</summary>
    Unknown = 0,
    /// <summary>A counter reset happened.</summary>
    CounterReset = 1,
    /// <summary>No counter reset.</summary>
    NotCounterReset = 2,
    /// <summary>A gauge histogram.</summary>
    Gauge = 3,
}
