using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using TraceLink.Storage.Metadata;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Ingest.RemoteWrite;

/// <summary>Maps the Prometheus remote-write receiver (1.0 and 2.0) at <c>POST /api/v1/write</c>.</summary>
public static class RemoteWriteEndpoints
{
    /// <summary>
    /// Maps <c>POST /api/v1/write</c> writing into <paramref name="store"/>; metric metadata of the requests (1.0 metadata
    /// entries, 2.0 per-series metadata) goes to <paramref name="metadata"/> when given.
    /// </summary>
    public static IEndpointConventionBuilder MapRemoteWrite(this IEndpointRouteBuilder app, ISeriesStore store, RemoteWriteOptions? options = null, MetricMetadataStore? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger(typeof(RemoteWriteHandler)) ?? NullLogger.Instance;
        var handler = new RemoteWriteHandler(store, options ?? new RemoteWriteOptions(), logger, metadata);
        return app.MapPost("/api/v1/write", handler.HandleAsync);
    }
}
