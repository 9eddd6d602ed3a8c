namespace TraceLink.Storage.Spans;

/// <summary>Receives the records of a span-log scan in log order.</summary>
internal interface ISpanLogVisitor
{
    void OnRecord(long address, byte type, ReadOnlySpan<byte> record);
}
