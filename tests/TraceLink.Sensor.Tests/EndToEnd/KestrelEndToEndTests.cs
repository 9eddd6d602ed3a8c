using System.Diagnostics;
using System.Net;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;

namespace TraceLink.Sensor.Tests.EndToEnd;

/// <summary>A real Kestrel server called by a real HttpClient in this process, observed by the real sensor.</summary>
[Collection(SensorEndToEnd.Name)]
public sealed class KestrelEndToEndTests(ITestOutputHelper output)
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string ParentId = "00f067aa0ba902b7";

    [Fact]
    public async Task Every_request_yields_a_client_and_a_server_span_joined_by_tcp_seq_and_traceparent()
    {
        if (SensorEndToEnd.SkipReason() is { } reason)
        {
            output.WriteLine("skipped: " + reason);
            return;
        }

        await using var app = await StartKestrelAsync(https: false);
        int port = Port(app);
        await using var sensor = await SensorRun.StartAsync(o => o.Ports.Add(port));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var stopwatch = Stopwatch.StartNew();
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/items/42?verbose=1"))
        {
            request.Headers.Add("traceparent", $"00-{TraceId}-{ParentId}-01");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var slowElapsed = Stopwatch.StartNew();
        using (var response = await client.GetAsync("/slow"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        slowElapsed.Stop();
        using (var response = await client.PostAsync("/fail", new StringContent("{\"x\":1}")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        stopwatch.Stop();
        var spans = await sensor.Spans.WaitAsync(s => s.Count >= 6, TimeSpan.FromSeconds(10));
        foreach (var (_, span) in spans)
        {
            output.WriteLine($"{span.Kind} {span.Name} {span.Str(SpanAttributeNames.TapSide)} req_seq={span.Int(SpanAttributeNames.TcpReqSeq)} " +
                $"{(span.EndTimeUnixNano - span.StartTimeUnixNano) / 1000}us");
        }

        Assert.Equal(6, spans.Count);
        var (clientItem, serverItem) = Pair(spans, "/items/42");
        Assert.Equal("GET /items/42", clientItem.Name);
        Assert.Equal("GET", serverItem.Str("http.request.method"));
        Assert.Equal("verbose=1", serverItem.Str("url.query"));
        Assert.Equal(200, clientItem.Int("http.response.status_code"));
        Assert.Equal(200, serverItem.Int("http.response.status_code"));
        Assert.Equal(clientItem.Int(SpanAttributeNames.TcpReqSeq), serverItem.Int(SpanAttributeNames.TcpReqSeq));
        Assert.Equal(clientItem.Int(SpanAttributeNames.TcpRespSeq), serverItem.Int(SpanAttributeNames.TcpRespSeq));
        Assert.Equal(TraceId, Convert.ToHexStringLower(clientItem.TraceId.Span));
        Assert.Equal(TraceId, Convert.ToHexStringLower(serverItem.TraceId.Span));
        Assert.Equal(ParentId, Convert.ToHexStringLower(serverItem.ParentSpanId.Span));
        Assert.Equal(port, serverItem.Int(SpanAttributeNames.LocalPort));
        Assert.Equal(port, clientItem.Int(SpanAttributeNames.PeerPort));
        Assert.Equal(Environment.ProcessId, serverItem.Int(SpanAttributeNames.ProcessPid));
        Assert.Contains("\"id\":42", serverItem.Str("http.response.body"), StringComparison.Ordinal);

        // the client span encloses the server span, and both fit inside the wall time of the calls
        var (clientSlow, serverSlow) = Pair(spans, "/slow");
        Assert.True(clientSlow.StartTimeUnixNano <= serverSlow.StartTimeUnixNano);
        Assert.True(serverSlow.EndTimeUnixNano <= clientSlow.EndTimeUnixNano);
        Assert.InRange(serverSlow.EndTimeUnixNano - serverSlow.StartTimeUnixNano, 50_000_000UL, (ulong)slowElapsed.Elapsed.TotalNanoseconds);
        Assert.True(clientSlow.TraceId.IsEmpty, "without traceparent the trace id is left to the assembler");

        var (clientFail, serverFail) = Pair(spans, "/fail");
        Assert.Equal("POST", clientFail.Str("http.request.method"));
        Assert.Equal(503, serverFail.Int("http.response.status_code"));
        Assert.Equal(Status.Types.StatusCode.Error, serverFail.Status.Code);
        Assert.Equal("{\"x\":1}", serverFail.Str("http.request.body"));
        Assert.Equal(0, sensor.Host.Statistics.RingBufferDrops);
    }

    internal static (Span Client, Span Server) Pair(List<(OpenTelemetry.Proto.Resource.V1.Resource Resource, Span Span)> spans, string path)
    {
        var client = spans.Single(s => s.Span.Str("url.path") == path && s.Span.Kind == Span.Types.SpanKind.Client).Span;
        var server = spans.Single(s => s.Span.Str("url.path") == path && s.Span.Kind == Span.Types.SpanKind.Server).Span;
        Assert.Equal("c", client.Str(SpanAttributeNames.TapSide));
        Assert.Equal("s", server.Str(SpanAttributeNames.TapSide));
        return (client, server);
    }

    internal static int Port(WebApplication app) =>
        new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

    internal static async Task<WebApplication> StartKestrelAsync(bool https)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            if (https)
            {
                l.UseHttps(TestCertificate.Create());
            }
        }));
        var app = builder.Build();
        app.MapGet("/items/{id:int}", (int id) => Results.Json(new { id, name = "item" }));
        app.MapGet("/slow", async () =>
        {
            await Task.Delay(60);
            return Results.Text("slow");
        });
        app.MapPost("/fail", () => Results.StatusCode(503));
        app.MapGet("/ping", () => Results.Text("pong"));
        await app.StartAsync();
        return app;
    }
}
