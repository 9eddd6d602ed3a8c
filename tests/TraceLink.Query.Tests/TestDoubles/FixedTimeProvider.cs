namespace TraceLink.Query.Tests.TestDoubles;

/// <summary>A clock frozen at one instant so default search windows are deterministic.</summary>
public sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
