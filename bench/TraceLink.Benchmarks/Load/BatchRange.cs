namespace TraceLink.Benchmarks.Load;

/// <summary>The batches <c>[Start, End)</c> of a pre-encoded load, sent as one phase.</summary>
internal readonly record struct BatchRange(List<byte[]> Batches, int Start, int End)
{
    public int Count => End - Start;
}
