using System.Net;

using TraceLink.Protocol.Spans;

namespace TraceLink.Sensor.Tests.EndToEnd;

/// <summary>HTTPS Kestrel: .NET's SslStream uses the system libssl.so.3, so the uprobes see the plaintext.</summary>
[Collection(SensorEndToEnd.Name)]
public sealed class TlsEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Https_requests_yield_plaintext_spans_on_both_sides()
    {
        if (SensorEndToEnd.SkipReason() is { } reason)
        {
            output.WriteLine("skipped: " + reason);
            return;
        }

        await using var app = await KestrelEndToEndTests.StartKestrelAsync(https: true);
        int port = KestrelEndToEndTests.Port(app);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}") };

        // the handshake happens before the sensor starts: with client and server in one process, the
        // first request of a fresh .NET TLS connection can be tied to the wrong socket (see README)
        using (var warmUp = await client.GetAsync("/ping"))
        {
            Assert.Equal(HttpStatusCode.OK, warmUp.StatusCode);
        }

        await using var sensor = await SensorRun.StartAsync(o => o.Ports.Add(port));
        if (sensor.Host.Statistics.TlsProbes == 0)
        {
            output.WriteLine("skipped: no libssl.so.3 to probe on this machine");
            return;
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/items/7"))
        {
            request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await client.GetAsync("/ping"))
        {
            Assert.Equal("pong", await response.Content.ReadAsStringAsync());
        }

        var spans = await sensor.Spans.WaitAsync(s => s.Count >= 4, TimeSpan.FromSeconds(10));
        foreach (var (_, span) in spans)
        {
            output.WriteLine($"{span.Kind} {span.Name} {span.Str("url.scheme")} req_seq={span.Int(SpanAttributeNames.TcpReqSeq)} " +
                $"resp_seq={span.Int(SpanAttributeNames.TcpRespSeq)} status={span.Int("http.response.status_code")}");
        }

        output.WriteLine(sensor.Host.Statistics.ToString());
        Assert.Equal(4, spans.Count);
        var (client7, server7) = KestrelEndToEndTests.Pair(spans, "/items/7");
        Assert.Equal("https", client7.Str("url.scheme"));
        Assert.Equal("https", server7.Str("url.scheme"));
        Assert.Equal(200, server7.Int("http.response.status_code"));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", Convert.ToHexStringLower(client7.TraceId.Span));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", Convert.ToHexStringLower(server7.TraceId.Span));
        Assert.Contains("\"id\":7", server7.Str("http.response.body"), StringComparison.Ordinal);
        Assert.Equal(client7.Int(SpanAttributeNames.TcpReqSeq), server7.Int(SpanAttributeNames.TcpReqSeq));
        Assert.Equal(client7.Int(SpanAttributeNames.TcpRespSeq), server7.Int(SpanAttributeNames.TcpRespSeq));

        var (clientPing, serverPing) = KestrelEndToEndTests.Pair(spans, "/ping");
        Assert.Equal("pong", clientPing.Str("http.response.body"));
        Assert.Equal(clientPing.Int(SpanAttributeNames.TcpReqSeq), serverPing.Int(SpanAttributeNames.TcpReqSeq));
        Assert.True(clientPing.StartTimeUnixNano <= serverPing.StartTimeUnixNano);
    }
}
