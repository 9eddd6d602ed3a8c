namespace TraceLink.Sensor.Http;

/// <summary>
/// Parsed messages (with their header lists and body buffers) reused once their span is built, so that a
/// keep-alive connection allocates little more than the header strings per message. Single-threaded: the
/// ring-buffer reader parses, pairs and builds spans on one thread. Messages not returned are simply collected.
/// </summary>
internal sealed class HttpMessagePool
{
    private const int MaxPooled = 1024;
    private readonly Stack<HttpMessage> _free = new();

    /// <summary>A cleared message, reused when one is free.</summary>
    public HttpMessage Rent() => _free.TryPop(out var message) ? message : new HttpMessage();

    /// <summary>Takes back a message no one references any more.</summary>
    public void Return(HttpMessage message)
    {
        if (_free.Count < MaxPooled)
        {
            message.Reset();
            _free.Push(message);
        }
    }
}
