namespace TraceLink.Query.TraceQL;

/// <summary>Type of a TraceQL value.</summary>
internal enum StaticType : byte
{
    Nil,
    Int,
    Float,
    String,
    Bool,
    Duration,
    Status,
    Kind,
    Array,
}
