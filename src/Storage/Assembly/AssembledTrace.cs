using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Assembly;

/// <summary>
/// A trace joined across hops: every span carries the trace id, a span id, the assembled parent span id,
/// and sensor spans say which key linked them (<c>tracelink.link.key</c>). Spans are sorted by start time.
/// </summary>
public sealed class AssembledTrace
{
    internal AssembledTrace(byte[] traceId, IReadOnlyList<StoredSpan> spans, AssemblyMethod method, bool truncated, int rounds)
    {
        TraceId = traceId;
        Spans = spans;
        Method = method;
        Truncated = truncated;
        Rounds = rounds;
    }

    /// <summary>The 16-byte trace id applied to every span: the SDK's, or a synthetic one (<see cref="SyntheticIds"/>).</summary>
    public byte[] TraceId { get; }

    /// <summary>The assembled spans (copies; the stored spans are not modified), by start time.</summary>
    public IReadOnlyList<StoredSpan> Spans { get; }

    /// <summary>Whether the spans came from a trace group or from the iterative search.</summary>
    public AssemblyMethod Method { get; }

    /// <summary>True when the search stopped at <see cref="TraceAssemblerOptions.MaxSpans"/> or <see cref="TraceAssemblerOptions.MaxIterations"/>.</summary>
    public bool Truncated { get; }

    /// <summary>Search rounds run (0 for a trace-group read).</summary>
    public int Rounds { get; }
}
