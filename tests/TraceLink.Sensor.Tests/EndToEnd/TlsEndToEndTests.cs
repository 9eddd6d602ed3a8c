using System.Net;

using TraceLink.Protocol.Spans;

namespace TraceLink.Sensor.Tests.EndToEnd;

/// <summary>HTTPS Kestrel: .NET's SslStream uses the system libssl.so.3, so the uprobes see the plaintext.</summary>
[Collection(SensorEndToEnd.Name)]
public sealed class TlsEndToEndTests(ITestOutputHelper output)
{
    private const int FreshConnections = 3;

    [Fact]
    public async Task First_https_request_of_every_fresh_connection_yields_plaintext_spans_on_both_sides()
    {
        if (SensorEndToEnd.SkipReason() is { } reason)
        {
            output.WriteLine("skipped: " + reason);
            return;
        }

        await using var app = await KestrelEndToEndTests.StartKestrelAsync(https: true);
        int port = KestrelEndToEndTests.Port(app);

        // no warm-up: the handshake of each connection happens while the sensor watches, client and server in
        // one process, so the SSL objects must be tied to their sockets by their handshake bytes
        await using var sensor = await SensorRun.StartAsync(o => o.Ports.Add(port));
        if (sensor.Host.Statistics.TlsProbes == 0)
        {
            output.WriteLine("skipped: no libssl.so.3 to probe on this machine");
            return;
        }

        for (int round = 1; round <= FreshConnections; round++)
        {
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
            using var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}") };
            using (var request = new HttpRequestMessage(HttpMethod.Get, $"/items/{round}"))
            {
                request.Headers.Add("traceparent", $"00-0af7651916cd43dd8448eb211c80319{round}-b7ad6b7169203331-01");
                using var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            using (var response = await client.GetAsync($"/ping?round={round}"))
            {
                Assert.Equal("pong", await response.Content.ReadAsStringAsync());
            }
        }

        var spans = await sensor.Spans.WaitAsync(s => s.Count >= 4 * FreshConnections, TimeSpan.FromSeconds(10));
        foreach (var (_, span) in spans)
        {
            output.WriteLine($"{span.Kind} {span.Name} {span.Str("url.query")} {span.Str("url.scheme")} req_seq={span.Int(SpanAttributeNames.TcpReqSeq)} " +
                $"resp_seq={span.Int(SpanAttributeNames.TcpRespSeq)} status={span.Int("http.response.status_code")}");
        }

        output.WriteLine(sensor.Host.Statistics.ToString());
        Assert.Equal(4 * FreshConnections, spans.Count);
        for (int round = 1; round <= FreshConnections; round++)
        {
            var (client, server) = KestrelEndToEndTests.Pair(spans, $"/items/{round}");
            Assert.Equal("https", client.Str("url.scheme"));
            Assert.Equal("https", server.Str("url.scheme"));
            Assert.Equal(200, server.Int("http.response.status_code"));
            Assert.Equal($"0af7651916cd43dd8448eb211c80319{round}", Convert.ToHexStringLower(client.TraceId.Span));
            Assert.Equal($"0af7651916cd43dd8448eb211c80319{round}", Convert.ToHexStringLower(server.TraceId.Span));
            Assert.Contains($"\"id\":{round}", server.Str("http.response.body"), StringComparison.Ordinal);
            Assert.Equal(client.Int(SpanAttributeNames.TcpReqSeq), server.Int(SpanAttributeNames.TcpReqSeq));
            Assert.Equal(client.Int(SpanAttributeNames.TcpRespSeq), server.Int(SpanAttributeNames.TcpRespSeq));
            Assert.True(client.StartTimeUnixNano <= server.StartTimeUnixNano);
            Assert.True(server.EndTimeUnixNano <= client.EndTimeUnixNano);

            var pings = spans.Where(s => s.Span.Str("url.query") == $"round={round}").Select(s => s.Span).ToList();
            var clientPing = Assert.Single(pings, s => s.Kind == OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Client);
            var serverPing = Assert.Single(pings, s => s.Kind == OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Server);
            Assert.Equal("pong", clientPing.Str("http.response.body"));
            Assert.Equal(clientPing.Int(SpanAttributeNames.TcpReqSeq), serverPing.Int(SpanAttributeNames.TcpReqSeq));
            Assert.Equal(clientPing.Int(SpanAttributeNames.TcpRespSeq), serverPing.Int(SpanAttributeNames.TcpRespSeq));
        }

        Assert.Equal(0, sensor.Host.Statistics.UnlinkedTlsRecords);
    }
}
