namespace TraceLink.Storage.Tsdb;

/// <summary>
/// The shared series-selection layer (DESIGN.md §4): remote-read and the PromQL engine both select
/// series through it, with the same <see cref="LabelMatcher"/> semantics.
/// </summary>
public interface ISeriesStore
{
    /// <summary>Series matching all matchers with samples in [mint, maxt] (ms), sorted by labels.</summary>
    IEnumerable<ISeries> Select(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers);

    /// <summary>Sorted label names of series matching the matchers (all series when none) in [mint, maxt].</summary>
    IReadOnlyList<string> LabelNames(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers);

    /// <summary>Sorted values of <paramref name="name"/> among series matching the matchers in [mint, maxt].</summary>
    IReadOnlyList<string> LabelValues(string name, long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers);

    /// <summary>Starts a write batch.</summary>
    ISampleAppender Appender();

    /// <summary>Exemplars of series matching the matchers in [mint, maxt], grouped by series.</summary>
    IReadOnlyList<(IReadOnlyList<Label> Series, IReadOnlyList<Exemplar> Exemplars)> Exemplars(long minTimeMs, long maxTimeMs, IReadOnlyList<LabelMatcher> matchers);
}
