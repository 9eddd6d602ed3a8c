namespace TraceLink.Protocol.Spans;

/// <summary>Which member of an OTLP <c>AnyValue</c> is set (numbers are not the protobuf field numbers).</summary>
public enum WireValueKind
{
    /// <summary>No value, or the <c>value</c> field is absent.</summary>
    None,

    /// <summary><c>string_value</c>.</summary>
    String,

    /// <summary><c>bool_value</c>.</summary>
    Bool,

    /// <summary><c>int_value</c>.</summary>
    Int,

    /// <summary><c>double_value</c>.</summary>
    Double,

    /// <summary><c>array_value</c> (an encoded <c>ArrayValue</c>).</summary>
    Array,

    /// <summary><c>kvlist_value</c> (an encoded <c>KeyValueList</c>).</summary>
    KeyValueList,

    /// <summary><c>bytes_value</c>.</summary>
    Bytes,
}
