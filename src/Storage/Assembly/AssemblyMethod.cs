namespace TraceLink.Storage.Assembly;

/// <summary>How an <see cref="AssembledTrace"/> found its spans.</summary>
public enum AssemblyMethod
{
    /// <summary>Query-time iterative search over the correlation index.</summary>
    Search = 0,

    /// <summary>One read of the durable trace group built by <see cref="TraceGroupLinker"/> at ingest.</summary>
    TraceGroup = 1,
}
