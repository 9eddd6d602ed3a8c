namespace TraceLink.Storage.Tsdb.Head;

/// <summary>One distinct series of an appender batch: its key in the appender's key arena and, when given, its labels.</summary>
internal struct SeriesEntry
{
    public int KeyOffset;
    public int KeyLength;
    public ulong Hash;
    public IReadOnlyList<Label>? Labels;
}
