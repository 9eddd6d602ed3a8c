namespace TraceLink.Query.PromQL.Api;

/// <summary>An API error with its Prometheus <c>errorType</c> and HTTP status.</summary>
internal sealed class ApiError : Exception
{
    public ApiError(string errorType, int status, string message) : base(message)
    {
        ErrorType = errorType;
        Status = status;
    }

    public ApiError()
    {
        ErrorType = "internal";
        Status = 500;
    }

    public ApiError(string message) : base(message)
    {
        ErrorType = "internal";
        Status = 500;
    }

    public ApiError(string message, Exception inner) : base(message, inner)
    {
        ErrorType = "internal";
        Status = 500;
    }

    public string ErrorType { get; }

    public int Status { get; }

    public static ApiError BadData(string message) => new("bad_data", 400, message);

    public static ApiError InvalidParam(string param, string message) => BadData($"invalid parameter \"{param}\": {message}");
}
