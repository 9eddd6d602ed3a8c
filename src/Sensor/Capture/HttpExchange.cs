using TraceLink.Sensor.Http;

namespace TraceLink.Sensor.Capture;

/// <summary>A request paired with its response on one connection, as seen by one process.</summary>
/// <param name="Request">The request.</param>
/// <param name="Response">The response.</param>
/// <param name="Connection">The socket both travelled on.</param>
/// <param name="IsClient">True when this process sent the request (tap side <c>c</c>).</param>
internal sealed record HttpExchange(HttpMessage Request, HttpMessage Response, Connection Connection, bool IsClient)
{
    /// <summary>Whether the socket carried TLS when the exchange completed (spans are built later, at export).</summary>
    public bool IsTls { get; } = Connection.IsTls;
}
