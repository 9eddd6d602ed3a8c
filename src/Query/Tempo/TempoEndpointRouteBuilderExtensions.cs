using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

using TraceLink.Storage.Spans;

namespace TraceLink.Query.Tempo;

/// <summary>Maps the Tempo-compatible query API that Grafana's Tempo data source calls.</summary>
public static class TempoEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>/api/traces/{id}</c>, <c>/api/v2/traces/{id}</c>, <c>/api/search</c>, the v1/v2 tag endpoints,
    /// <c>/api/echo</c> and <c>/api/status/buildinfo</c> over <paramref name="store"/>. Whole traces come from
    /// <paramref name="traces"/> (trace assembly) when given, else exactly as stored.
    /// </summary>
    public static IEndpointRouteBuilder MapTempoApi(this IEndpointRouteBuilder endpoints, ISpanStore store, TempoApiOptions? options = null, ITraceReader? traces = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(store);
        var api = new TempoApi(store, traces ?? new StoreTraceReader(store), options ?? new TempoApiOptions());

        endpoints.MapGet("/api/traces/{id}", (HttpContext context, string id) => api.TraceV1Async(context, id));
        endpoints.MapGet("/api/v2/traces/{id}", (HttpContext context, string id) => api.TraceV2Async(context, id));
        endpoints.MapGet("/api/search", api.SearchAsync);
        endpoints.MapGet("/api/search/tags", api.TagNamesV1Async);
        endpoints.MapGet("/api/v2/search/tags", api.TagNamesV2Async);
        endpoints.MapGet("/api/search/tag/{tag}/values", (HttpContext context, string tag) => api.TagValuesV1Async(context, tag));
        endpoints.MapGet("/api/v2/search/tag/{tag}/values", (HttpContext context, string tag) => api.TagValuesV2Async(context, tag));
        endpoints.Map("/api/echo", TempoApi.EchoAsync);
        endpoints.MapGet("/api/status/buildinfo", api.BuildInfoAsync);
        return endpoints;
    }
}
