namespace TraceLink.Ingest.RemoteWrite;

/// <summary>Carries a 4xx status and message out of request decoding.</summary>
internal sealed class RemoteWriteRejection(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
