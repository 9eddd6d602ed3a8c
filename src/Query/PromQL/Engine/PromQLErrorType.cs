namespace TraceLink.Query.PromQL.Engine;

/// <summary>Prometheus API error types an evaluation can fail with.</summary>
public enum PromQLErrorType
{
    /// <summary><c>execution</c> (HTTP 422).</summary>
    Execution,
    /// <summary><c>timeout</c> (HTTP 503).</summary>
    Timeout,
    /// <summary><c>canceled</c> (HTTP 499).</summary>
    Canceled,
    /// <summary><c>bad_data</c> (HTTP 400).</summary>
    BadData,
}
