namespace TraceLink.Ingest.RemoteWrite;

/// <summary>
/// One metadata entry the decoder found in its pass over a remote-write body: the metric type and the byte ranges
/// (offset, length into the decoded body) of the family name, help and unit, recorded after the commit.
/// </summary>
internal readonly record struct MetadataEntry(int Type, int NameOffset, int NameLength, int HelpOffset, int HelpLength, int UnitOffset, int UnitLength);
