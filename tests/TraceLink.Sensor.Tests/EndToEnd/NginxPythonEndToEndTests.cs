using System.Net;

using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Testing;

namespace TraceLink.Sensor.Tests.EndToEnd;

/// <summary>HttpClient → nginx (X-Request-ID) → python3 http.server, all observed by the sensor.</summary>
[Collection(SensorEndToEnd.Name)]
public sealed class NginxPythonEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _dir = Directory.CreateTempSubdirectory("tracelink-nginx-").FullName;

    [Fact]
    public async Task Proxy_hop_is_joined_by_x_request_id_and_tcp_seq()
    {
        if (SensorEndToEnd.SkipReason() is { } reason || (reason = Missing()) is not null)
        {
            output.WriteLine("skipped: " + reason);
            return;
        }

        int pyPort = ExternalProcess.FreePort();
        int nginxPort = ExternalProcess.FreePort();
        await File.WriteAllTextAsync(Path.Combine(_dir, "hello.txt"), "hello from python");
        using var python = await ExternalProcess.StartAsync(Python, $"-m http.server {pyPort} --bind 127.0.0.1", _dir, pyPort);
        using var nginx = await NginxReverseProxy.StartAsync(_dir, nginxPort, pyPort);
        await using var sensor = await SensorRun.StartAsync(o =>
        {
            o.Ports.Add(nginxPort);
            o.Ports.Add(pyPort);
            o.ServiceNames["python3"] = "py-backend";
        });

        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{nginxPort}/hello.txt");
        request.Headers.Add("traceparent", "00-11112222333344445555666677778888-9999aaaabbbbcccc-01");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello from python", await response.Content.ReadAsStringAsync());
        string requestId = response.Headers.GetValues("X-Request-ID").Single();

        var spans = await sensor.Spans.WaitAsync(s => s.Count >= 4, TimeSpan.FromSeconds(10));
        foreach (var (resource, span) in spans)
        {
            output.WriteLine($"{resource.Str(SpanAttributeNames.ServiceName)} {span.Kind} {span.Name} req_seq={span.Int(SpanAttributeNames.TcpReqSeq)} " +
                $"xid.req={span.Str(SpanAttributeNames.XRequestIdReq)} xid.resp={span.Str(SpanAttributeNames.XRequestIdResp)}");
        }

        Assert.Equal(4, spans.Count);
        var testClient = spans.Single(s => s.Span.Kind == Span.Types.SpanKind.Client && s.Span.Int(SpanAttributeNames.PeerPort) == nginxPort);
        var nginxServer = spans.Single(s => s.Span.Kind == Span.Types.SpanKind.Server && s.Span.Int(SpanAttributeNames.LocalPort) == nginxPort);
        var nginxClient = spans.Single(s => s.Span.Kind == Span.Types.SpanKind.Client && s.Span.Int(SpanAttributeNames.PeerPort) == pyPort);
        var pyServer = spans.Single(s => s.Span.Kind == Span.Types.SpanKind.Server && s.Span.Int(SpanAttributeNames.LocalPort) == pyPort);

        Assert.Equal("nginx", nginxServer.Resource.Str(SpanAttributeNames.ServiceName));
        Assert.Equal("py-backend", pyServer.Resource.Str(SpanAttributeNames.ServiceName));
        Assert.Equal(nginx.Pid, nginxClient.Span.Int(SpanAttributeNames.ProcessPid));
        Assert.Equal(python.Pid, pyServer.Span.Int(SpanAttributeNames.ProcessPid));

        // client → nginx and nginx → python hops share their tcp seq
        Assert.Equal(testClient.Span.Int(SpanAttributeNames.TcpReqSeq), nginxServer.Span.Int(SpanAttributeNames.TcpReqSeq));
        Assert.Equal(nginxClient.Span.Int(SpanAttributeNames.TcpReqSeq), pyServer.Span.Int(SpanAttributeNames.TcpReqSeq));
        Assert.Equal(nginxClient.Span.Int(SpanAttributeNames.TcpRespSeq), pyServer.Span.Int(SpanAttributeNames.TcpRespSeq));

        // nginx sets X-Request-ID on the upstream request and on its own response: that joins its two spans
        Assert.Equal(requestId, nginxServer.Span.Str(SpanAttributeNames.XRequestIdResp));
        Assert.Equal(requestId, nginxClient.Span.Str(SpanAttributeNames.XRequestIdReq));
        Assert.Equal(requestId, pyServer.Span.Str(SpanAttributeNames.XRequestIdReq));

        // traceparent travels through the proxy untouched
        Assert.Equal("11112222333344445555666677778888", Convert.ToHexStringLower(pyServer.Span.TraceId.Span));
        Assert.Equal("GET /hello.txt", pyServer.Span.Name);
        Assert.Equal(200, pyServer.Span.Int("http.response.status_code"));
        Assert.Equal("hello from python", pyServer.Span.Str("http.response.body"));
        Assert.True(nginxServer.Span.StartTimeUnixNano <= pyServer.Span.StartTimeUnixNano);
        Assert.True(pyServer.Span.EndTimeUnixNano <= nginxServer.Span.EndTimeUnixNano);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string? Missing() =>
        NginxReverseProxy.Missing() ?? (File.Exists(Python) ? null : "python3 is not installed (.ci/setup-packages)");
}
