namespace TraceLink.Query.PromQL.Engine;

/// <summary>An evaluation error carrying the Prometheus error type.</summary>
public sealed class PromQLException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PromQLException(PromQLErrorType errorType, string message) : base(message) => ErrorType = errorType;

    /// <summary>Creates an execution error.</summary>
    public PromQLException() => ErrorType = PromQLErrorType.Execution;

    /// <summary>Creates an execution error.</summary>
    public PromQLException(string message) : base(message) => ErrorType = PromQLErrorType.Execution;

    /// <summary>Creates an execution error with a cause.</summary>
    public PromQLException(string message, Exception inner) : base(message, inner) => ErrorType = PromQLErrorType.Execution;

    /// <summary>The Prometheus error type.</summary>
    public PromQLErrorType ErrorType { get; }
}
