namespace TraceLink.Ingest.DerivedLogs;

/// <summary>Sampling and formatting of the log lines derived from spans.</summary>
public sealed class DerivedLogOptions
{
    /// <summary>Spans at least this slow are always kept.</summary>
    public TimeSpan SlowThreshold { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Fraction (0..1) of the other spans kept, decided per trace id so a kept trace keeps all its lines.</summary>
    public double SampleRatio { get; set; } = 0.1;

    /// <summary>Most characters of a request or response body copied into a line.</summary>
    public int MaxBodyExcerptChars { get; set; } = 256;

    /// <summary>Most event attributes copied into a span-event line.</summary>
    public int MaxEventAttributes { get; set; } = 8;

    /// <summary>Throws <see cref="ArgumentException"/> with a one-line message when a setting is out of range.</summary>
    public void Validate()
    {
        if (SampleRatio is < 0 or > 1 || double.IsNaN(SampleRatio))
        {
            throw new ArgumentException($"derived log sample ratio must be within 0..1, got {SampleRatio}");
        }

        if (SlowThreshold < TimeSpan.Zero)
        {
            throw new ArgumentException($"derived log slow threshold must not be negative, got {SlowThreshold}");
        }

        if (MaxBodyExcerptChars < 0 || MaxEventAttributes < 0)
        {
            throw new ArgumentException("derived log excerpt limits must not be negative");
        }
    }
}
