namespace TraceLink.Query.PromQL.Parser;

/// <summary>Signature of a PromQL function.</summary>
/// <param name="Name">Function name.</param>
/// <param name="ArgTypes">Argument types.</param>
/// <param name="Variadic">0: exact; n &gt; 0: up to n optional trailing args; -1: unlimited repeats of the last type.</param>
/// <param name="ReturnType">Result type.</param>
public sealed record FunctionInfo(string Name, PromValueType[] ArgTypes, int Variadic, PromValueType ReturnType);
