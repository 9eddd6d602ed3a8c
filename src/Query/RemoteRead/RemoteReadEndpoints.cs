using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.RemoteRead;

/// <summary>Maps the Prometheus remote-read endpoint at <c>POST /api/v1/read</c>.</summary>
public static class RemoteReadEndpoints
{
    /// <summary>Maps <c>POST /api/v1/read</c> answering from <paramref name="store"/> (SAMPLES and STREAMED_XOR_CHUNKS).</summary>
    public static IEndpointConventionBuilder MapRemoteRead(this IEndpointRouteBuilder app, ISeriesStore store, RemoteReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var handler = new RemoteReadHandler(store, options ?? new RemoteReadOptions());
        return app.MapPost("/api/v1/read", handler.HandleAsync);
    }
}
