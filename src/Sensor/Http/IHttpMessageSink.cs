namespace TraceLink.Sensor.Http;

/// <summary>What a <see cref="HttpStreamParser"/> reports to, and asks of, its connection.</summary>
internal interface IHttpMessageSink
{
    /// <summary>True when the oldest unanswered request on the connection is a HEAD (its response has no body).</summary>
    bool NextResponseIsForHead();

    /// <summary>A complete message; ownership passes to the sink.</summary>
    void OnMessage(HttpMessage message);
}
