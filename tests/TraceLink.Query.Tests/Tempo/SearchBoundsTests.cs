using System.Text.Json.Nodes;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

using TraceLink.Query.Tempo;
using TraceLink.Query.Tests.TestDoubles;

using static TraceLink.Query.Tests.TestDoubles.SpanFactory;

namespace TraceLink.Query.Tests.Tempo;

/// <summary>Scan ordering and work bounds, each over its own store.</summary>
public sealed class SearchBoundsTests
{
    private const long NowSeconds = 1_718_000_000;
    private const ulong Second = 1_000_000_000;

    private static async Task<(WebApplication App, HttpClient Client, InMemorySpanStore Store)> StartAsync(int traces, TempoApiOptions options)
    {
        var store = new InMemorySpanStore();

        // All traces start inside one minute bucket, whose internal order the store does not promise.
        var minuteStart = ((ulong)NowSeconds - 120) / 60 * 60 * Second;
        for (var i = 1; i <= traces; i++)
        {
            var id = i.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
            await store.AppendAsync(Request("svc", MakeSpan(id, id, null, "op" + i, minuteStart + ((ulong)i * Second), 1_000_000)), CancellationToken.None);
        }

        options.TimeProvider = new FixedTimeProvider(DateTimeOffset.FromUnixTimeSeconds(NowSeconds));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        var app = builder.Build();
        app.MapTempoApi(store, options);
        await app.StartAsync();
        return (app, app.GetTestClient(), store);
    }

    private static async Task<string[]> SearchAsync(HttpClient client, string query)
    {
        var result = JsonNode.Parse(await client.GetStringAsync("/api/search?" + query))!;
        return result["traces"]!.AsArray().Select(t => t!["traceID"]!.GetValue<string>()).ToArray();
    }

    [Fact]
    public async Task Scan_with_limit_returns_the_newest_traces_even_when_a_minute_is_unordered()
    {
        var (app, client, store) = await StartAsync(6, new TempoApiOptions());
        await using (app)
        {
            Assert.Equal(["6", "5"], await SearchAsync(client, "q=%7B%7D&limit=2"));
            Assert.Equal(1, store.ScanCount);
            Assert.Empty(store.Lookups);
        }
    }

    [Fact]
    public async Task Max_traces_inspected_bounds_a_scan()
    {
        var (app, client, _) = await StartAsync(6, new TempoApiOptions { MaxTracesInspected = 2 });
        await using (app)
        {
            Assert.Equal(2, (await SearchAsync(client, "q=%7B%7D&limit=20")).Length);
        }
    }

    [Fact]
    public async Task Indexed_search_evaluates_the_newest_candidates_first()
    {
        var (app, client, store) = await StartAsync(6, new TempoApiOptions());
        await using (app)
        {
            Assert.Equal(["6", "5", "4"], await SearchAsync(client, "q=" + Uri.EscapeDataString("{ resource.service.name = \"svc\" }") + "&limit=3"));
            Assert.Equal(0, store.ScanCount);
        }
    }
}
