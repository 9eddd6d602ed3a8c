using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using TraceLink.Protocol.Spans;
using TraceLink.Sensor;
using TraceLink.Server.Tests.Support;
using TraceLink.Testing;
using Xunit.Abstractions;
using ProtoResource = OpenTelemetry.Proto.Resource.V1.Resource;

namespace TraceLink.Server.Tests;

/// <summary>
/// Issue #7: an OpenTelemetry-SDK service (this test process) calls an un-instrumented python3 http.server through
/// nginx while <c>tracelink serve --sensor</c> watches; the trace opened by the SDK's trace id holds the SDK spans and
/// the sensor spans of all three processes, each under the right parent and saying which key linked it.
/// </summary>
[Collection(SensorServeGroup.Name)]
public sealed class SensorProxyTraceTests(ITestOutputHelper output) : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private const string Path = "/inventory/items.json";
    private readonly string _dir = Directory.CreateTempSubdirectory("tracelink-proxy-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // nginx may still be writing its log while it dies
        }
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public async Task Sdk_trace_holds_the_sensor_spans_of_every_hop_with_their_parents(bool nginxForwardsTraceparent, bool traceLinking)
    {
        var missing = SensorHost.Check()
            ?? NginxReverseProxy.Missing()
            ?? (!File.Exists(Python) ? "python3 is not installed (.ci/setup-packages)" : null);
        if (missing is not null)
        {
            output.WriteLine("skipped: " + missing);
            return;
        }

        int pyPort = ExternalProcess.FreePort();
        int nginxPort = ExternalProcess.FreePort();
        string www = Directory.CreateDirectory(System.IO.Path.Combine(_dir, "www", "inventory")).Parent!.FullName;
        await File.WriteAllTextAsync(System.IO.Path.Combine(www, "inventory", "items.json"), """{"items":["tea","cups"]}""");

        string[] args = ["--sensor", "--port", Text(nginxPort), "--port", Text(pyPort), .. traceLinking ? Array.Empty<string>() : ["--no-trace-linking"]];
        await using var server = await ServerProcess.StartAsync(System.IO.Path.Combine(_dir, "db"), args);
        try
        {
            await WaitUntilAsync(() => Task.FromResult(server.Output.Contains("eBPF sensor attached", StringComparison.Ordinal)), "the sensor did not attach");
            using var python = await ExternalProcess.StartAsync(Python, $"-m http.server {pyPort} --bind 127.0.0.1 --directory {www}", _dir, pyPort);
            // nginx passes traceparent on as any other request header unless told to clear it.
            using var nginx = await NginxReverseProxy.StartAsync(_dir, nginxPort, pyPort, nginxForwardsTraceparent ? "" : "proxy_set_header traceparent \"\";");

            // Untraced requests on the same path before and after: their spans must stay out of the SDK trace.
            using (var plain = new HttpClient())
            {
                await WaitUntilAsync(async () => await TryGetAsync(plain, $"http://127.0.0.1:{nginxPort}{Path}") == HttpStatusCode.OK, "nginx did not proxy to python");
            }

            var produced = await CallThroughNginxWithSdkAsync(server.BaseAddress, nginxPort);
            using (var plain = new HttpClient())
            {
                Assert.Equal(HttpStatusCode.OK, await TryGetAsync(plain, $"http://127.0.0.1:{nginxPort}{Path}"));
            }

            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            List<(ProtoResource Resource, Span Span)> spans = [];
            await WaitUntilAsync(
                async () =>
                {
                    spans = await GetTraceAsync(http, produced.TraceId);
                    return spans.Count(s => Str(s.Span.Attributes, SpanAttributeNames.TapSide) is "c" or "s") >= 4;
                },
                "the sensor spans of all three processes did not reach the SDK trace");
            Dump(spans);

            var sdkRoot = Single(spans, s => s.Span.SpanId == produced.RootSpanId, "SDK root span");
            var sdkClient = Single(spans, s => IsSdk(s) && s.Span.Kind == Span.Types.SpanKind.Client, "SDK HttpClient span");
            var shopClient = Single(spans, s => Tap(s) == "c" && Int(s.Span.Attributes, SpanAttributeNames.PeerPort) == nginxPort, "sensor client span of the SDK process");
            var nginxServer = Single(spans, s => Tap(s) == "s" && Int(s.Span.Attributes, SpanAttributeNames.LocalPort) == nginxPort, "nginx server span");
            var nginxClient = Single(spans, s => Tap(s) == "c" && Int(s.Span.Attributes, SpanAttributeNames.PeerPort) == pyPort, "nginx client span");
            var pyServer = Single(spans, s => Tap(s) == "s" && Int(s.Span.Attributes, SpanAttributeNames.LocalPort) == pyPort, "python server span");
            Assert.Equal(6, spans.Count); // the untraced requests stayed out
            Assert.All(spans, s => Assert.Equal(produced.TraceId, Convert.ToHexStringLower(s.Span.TraceId.Span)));

            Assert.True(sdkRoot.Span.ParentSpanId.IsEmpty);
            Assert.Equal(sdkRoot.Span.SpanId, sdkClient.Span.ParentSpanId);
            AssertChild(sdkClient, shopClient, "sdk");
            // A server span joins its client by the request seq when their starts are within 60 ms, else by the response
            // seq when their ends are; a loaded CI box can delay a read past that window. Both ends saw the same seqs.
            AssertChild(shopClient, nginxServer, SpanAttributeNames.TcpReqSeq, SpanAttributeNames.TcpRespSeq);
            AssertChild(nginxServer, nginxClient, "syscall.trace_id");
            AssertChild(nginxClient, pyServer, SpanAttributeNames.TcpReqSeq, SpanAttributeNames.TcpRespSeq);
            foreach (var (caller, callee) in new[] { (shopClient, nginxServer), (nginxClient, pyServer) })
            {
                Assert.Equal(Int(caller.Span.Attributes, SpanAttributeNames.TcpReqSeq), Int(callee.Span.Attributes, SpanAttributeNames.TcpReqSeq));
                Assert.Equal(Int(caller.Span.Attributes, SpanAttributeNames.TcpRespSeq), Int(callee.Span.Attributes, SpanAttributeNames.TcpRespSeq));
            }

            Assert.Equal(Environment.ProcessId, Int(shopClient.Resource.Attributes, SpanAttributeNames.ProcessPid));
            Assert.Equal(nginx.Pid, Int(nginxServer.Resource.Attributes, SpanAttributeNames.ProcessPid));
            Assert.Equal(nginx.Pid, Int(nginxClient.Resource.Attributes, SpanAttributeNames.ProcessPid));
            Assert.Equal(python.Pid, Int(pyServer.Resource.Attributes, SpanAttributeNames.ProcessPid));
            Assert.Equal("nginx", Str(nginxServer.Resource.Attributes, SpanAttributeNames.ServiceName));
            Assert.StartsWith("python3", Str(pyServer.Resource.Attributes, SpanAttributeNames.ServiceName), StringComparison.Ordinal);
            foreach (var sensor in new[] { shopClient, nginxServer, nginxClient, pyServer })
            {
                Assert.Equal(Environment.MachineName, Str(sensor.Resource.Attributes, "host.name"));
                Assert.Equal("GET " + Path, sensor.Span.Name);
                Assert.Equal("GET", Str(sensor.Span.Attributes, "http.request.method"));
                Assert.Equal(Path, Str(sensor.Span.Attributes, "url.path"));
                Assert.Equal(200, Int(sensor.Span.Attributes, "http.response.status_code"));
            }

            // nginx names the request: the id it sent upstream is the one it answered with
            Assert.Equal(produced.RequestId, Str(nginxServer.Span.Attributes, SpanAttributeNames.XRequestIdResp));
            Assert.Equal(produced.RequestId, Str(nginxClient.Span.Attributes, SpanAttributeNames.XRequestIdReq));
            Assert.Equal(produced.RequestId, Str(pyServer.Span.Attributes, SpanAttributeNames.XRequestIdReq));

            // each hop nests inside the one that caused it
            Assert.True(sdkClient.Span.StartTimeUnixNano <= shopClient.Span.StartTimeUnixNano);
            Assert.True(shopClient.Span.StartTimeUnixNano <= nginxServer.Span.StartTimeUnixNano);
            Assert.True(nginxServer.Span.StartTimeUnixNano <= nginxClient.Span.StartTimeUnixNano && nginxClient.Span.EndTimeUnixNano <= nginxServer.Span.EndTimeUnixNano);
            Assert.True(nginxClient.Span.StartTimeUnixNano <= pyServer.Span.StartTimeUnixNano);
        }
        finally
        {
            output.WriteLine(server.Output);
        }
    }

    private static void AssertChild((ProtoResource Resource, Span Span) parent, (ProtoResource Resource, Span Span) child, params string[] linkKeys)
    {
        Assert.False(child.Span.SpanId.IsEmpty);
        Assert.Equal(Convert.ToHexStringLower(parent.Span.SpanId.Span), Convert.ToHexStringLower(child.Span.ParentSpanId.Span));
        Assert.Contains(Str(child.Span.Attributes, SpanAttributeNames.LinkKey), linkKeys);
    }

    /// <summary>The SDK service: a root span around an HttpClient call, whose System.Net.Http span injects traceparent.</summary>
    private static async Task<Produced> CallThroughNginxWithSdkAsync(Uri server, int nginxPort)
    {
        const string serviceName = "shop";
        using var source = new ActivitySource(serviceName);
        using var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(serviceName, "System.Net.Http")
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService(serviceName))
            .AddOtlpExporter(o =>
            {
                o.Endpoint = new Uri(server, "/v1/traces");
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.ExportProcessorType = ExportProcessorType.Simple;
            })
            .Build()!;
        using var client = new HttpClient();
        Produced produced;
        using (var root = source.StartActivity("checkout", ActivityKind.Internal)!)
        {
            using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{nginxPort}{Path}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("tea", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            var spanId = new byte[8];
            root.SpanId.CopyTo(spanId);
            produced = new Produced(root.TraceId.ToHexString(), Google.Protobuf.ByteString.CopyFrom(spanId), response.Headers.GetValues("X-Request-ID").Single());
        }

        Assert.True(provider.ForceFlush(10_000));
        return produced;
    }

    private static async Task<List<(ProtoResource Resource, Span Span)>> GetTraceAsync(HttpClient http, string traceId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/traces/" + traceId);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/protobuf"));
        using var response = await http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var trace = TracesData.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
        return [.. trace.ResourceSpans.SelectMany(r => r.ScopeSpans.SelectMany(s => s.Spans.Select(span => (r.Resource, span))))];
    }

    private void Dump(List<(ProtoResource Resource, Span Span)> spans)
    {
        ulong t0 = spans.Min(s => s.Span.StartTimeUnixNano);
        foreach (var (resource, span) in spans.OrderBy(s => s.Span.StartTimeUnixNano))
        {
            output.WriteLine($"  +{(span.StartTimeUnixNano - t0) / 1e6:0.000} ms .. +{(span.EndTimeUnixNano - t0) / 1e6:0.000} ms " +
                $"seq={Int(span.Attributes, SpanAttributeNames.TcpReqSeq)}/{Int(span.Attributes, SpanAttributeNames.TcpRespSeq)} " +
                $"{Str(span.Attributes, SpanAttributeNames.LocalAddress)}:{Int(span.Attributes, SpanAttributeNames.LocalPort)} -> " +
                $"{Str(span.Attributes, SpanAttributeNames.PeerAddress)}:{Int(span.Attributes, SpanAttributeNames.PeerPort)} tid={Int(span.Attributes, SpanAttributeNames.ThreadId)}");
            output.WriteLine($"{Str(resource.Attributes, SpanAttributeNames.ServiceName),-10} {span.Kind,-7} {span.Name,-28} id={Convert.ToHexStringLower(span.SpanId.Span)} " +
                $"parent={Convert.ToHexStringLower(span.ParentSpanId.Span),-16} tap={Str(span.Attributes, SpanAttributeNames.TapSide)} " +
                $"link={Str(span.Attributes, SpanAttributeNames.LinkKey)} sys={Int(span.Attributes, SpanAttributeNames.SyscallTraceIdReq)}/{Int(span.Attributes, SpanAttributeNames.SyscallTraceIdResp)} " +
                $"xrid={Str(span.Attributes, SpanAttributeNames.XRequestIdReq)}/{Str(span.Attributes, SpanAttributeNames.XRequestIdResp)}");
        }
    }

    private static (ProtoResource Resource, Span Span) Single(List<(ProtoResource Resource, Span Span)> spans, Func<(ProtoResource Resource, Span Span), bool> match, string what)
    {
        var found = spans.Where(match).ToList();
        Assert.True(found.Count == 1, $"expected one {what}, found {found.Count}");
        return found[0];
    }

    private static bool IsSdk((ProtoResource Resource, Span Span) span) => Tap(span) is not ("c" or "s");

    private static string Tap((ProtoResource Resource, Span Span) span) => Str(span.Span.Attributes, SpanAttributeNames.TapSide);

    private static string Str(IEnumerable<KeyValue> attributes, string key) =>
        attributes.FirstOrDefault(a => a.Key == key)?.Value.StringValue ?? string.Empty;

    private static long Int(IEnumerable<KeyValue> attributes, string key) =>
        attributes.FirstOrDefault(a => a.Key == key)?.Value.IntValue ?? -1;

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static async Task<HttpStatusCode?> TryGetAsync(HttpClient client, string url)
    {
        try
        {
            using var response = await client.GetAsync(new Uri(url));
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure + " within 30 s");
            await Task.Delay(200);
        }
    }

    private sealed record Produced(string TraceId, Google.Protobuf.ByteString RootSpanId, string RequestId);
}
