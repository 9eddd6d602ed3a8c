using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

using TraceLink.Query.PromQL.Api;
using TraceLink.Query.PromQL.Engine;
using TraceLink.Storage.Metadata;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.Tests.Api;

/// <summary>Hosts <c>MapPrometheusApi</c> on an in-process test server over a store.</summary>
public sealed class ApiHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ApiHost(WebApplication app, HttpClient client)
    {
        _app = app;
        Client = client;
    }

    public HttpClient Client { get; }

    public static async Task<ApiHost> StartAsync(ISeriesStore store, PromQLOptions? options = null, MetricMetadataStore? metadata = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        var app = builder.Build();
        app.MapPrometheusApi(store, options, metadata);
        await app.StartAsync();
        return new ApiHost(app, app.GetTestClient());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.DisposeAsync();
    }
}
