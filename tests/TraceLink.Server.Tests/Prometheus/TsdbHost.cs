using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

using TraceLink.Ingest.RemoteWrite;
using TraceLink.Query.RemoteRead;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Server.Tests.Prometheus;

/// <summary>A real Kestrel on a free loopback port serving remote write and read from a temporary TSDB.</summary>
internal sealed class TsdbHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dir;

    private TsdbHost(WebApplication app, TsdbStore store, string dir, Uri address)
    {
        _app = app;
        Store = store;
        _dir = dir;
        Address = address;
        Client = new HttpClient { BaseAddress = address };
    }

    public TsdbStore Store { get; }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public static async Task<TsdbHost> StartAsync(RemoteWriteOptions? writeOptions = null, TimeSpan? outOfOrderWindow = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "tsdb-host-" + Guid.NewGuid().ToString("N"));
        var store = new TsdbStore(new TsdbOptions { DataDirectory = Path.Combine(dir, "tsdb"), OutOfOrderTimeWindow = outOfOrderWindow ?? TimeSpan.Zero });
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapRemoteWrite(store, writeOptions);
        app.MapRemoteRead(store);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new TsdbHost(app, store, dir, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Store.Dispose();
        Directory.Delete(_dir, true);
    }
}
