namespace TraceLink.Storage.Tsdb;

/// <summary>One label name/value pair of a series.</summary>
public readonly record struct Label(string Name, string Value);
