using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;

using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Query.Tempo;
using TraceLink.Query.Tests.TestDoubles;

using static TraceLink.Query.Tests.TestDoubles.SpanFactory;

using SpanKind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind;
using StatusCode = OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode;

namespace TraceLink.Query.Tests.Tempo;

/// <summary>
/// A TestServer app with <c>MapTempoApi</c> over the in-memory store, seeded with four traces around a fixed "now":
/// A (checkout, error, 250 ms, 10 min ago), B (cart, 20 ms, 5 min ago), C (cart, root missing, 2 min ago),
/// D (checkout, 3 days ago: outside the default window).
/// </summary>
public sealed class TempoApiFixture : IAsyncLifetime
{
    public const string TraceA = "7a9bdcec1aa40910";
    public const string TraceB = "b0000000000000000000000000000002";
    public const string TraceC = "c3";
    public const string TraceD = "d4";
    public const long NowSeconds = 1_718_000_000;
    public const ulong NowNanos = NowSeconds * 1_000_000_000UL;
    private const ulong Ms = 1_000_000;
    private const ulong Minute = 60_000 * Ms;

    private static readonly string[] s_tags = ["x", "y"];

    private WebApplication? _app;

    public InMemorySpanStore Store { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await SeedAsync(Store);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        _app = builder.Build();
        _app.MapTempoApi(Store, new TempoApiOptions { TimeProvider = new FixedTimeProvider(DateTimeOffset.FromUnixTimeSeconds(NowSeconds)) });
        await _app.StartAsync();
        Client = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private static async Task SeedAsync(InMemorySpanStore store)
    {
        var aStart = NowNanos - (10 * Minute);
        await store.AppendAsync(
            Request(
                "checkout",
                MakeSpan(TraceA, "c0ffee0000000001", null, "POST /orders", aStart, 250 * Ms, SpanKind.Server, StatusCode.Error, "upstream timeout", Attribute("http.status_code", 500), Attribute("http.method", "POST")),
                MakeSpan(TraceA, "c0ffee0000000002", "c0ffee0000000001", "SELECT orders", aStart + (10 * Ms), 180 * Ms, SpanKind.Client, attributes: Attribute("db.system", "postgresql"))),
            CancellationToken.None);

        // B's resource has no scope message at all: the API must still emit "scope":{}.
        await store.AppendAsync(
            Request(
                "cart",
                (InstrumentationScope?)null,
                MakeSpan(TraceB, "b000000000000001", null, "GET /cart", NowNanos - (5 * Minute), 20 * Ms, SpanKind.Server, StatusCode.Ok, null, Attribute("http.status_code", 200), Attribute("tags", s_tags))),
            CancellationToken.None);
        await store.AppendAsync(
            Request("cart", MakeSpan(TraceC, "c000000000000003", "c000000000000099", "GET /items", NowNanos - (2 * Minute), 5 * Ms, SpanKind.Server)),
            CancellationToken.None);
        await store.AppendAsync(
            Request("checkout", MakeSpan(TraceD, "d000000000000004", null, "POST /orders", NowNanos - (3 * 24 * 60 * Minute), 900 * Ms, SpanKind.Server)),
            CancellationToken.None);
    }
}
