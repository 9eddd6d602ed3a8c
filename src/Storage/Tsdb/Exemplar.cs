namespace TraceLink.Storage.Tsdb;

/// <summary>An exemplar: its own labels (for example <c>trace_id</c>), value and timestamp in ms.</summary>
public readonly record struct Exemplar(IReadOnlyList<Label> Labels, double Value, long TimestampMs);
