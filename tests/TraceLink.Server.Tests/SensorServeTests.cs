using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using TraceLink.Sensor;
using TraceLink.Server.Tests.Support;
using Xunit.Abstractions;

namespace TraceLink.Server.Tests;

/// <summary><c>tracelink serve --sensor</c>: spans the in-process sensor sees are stored and served by the Tempo API.</summary>
[Collection(SensorServeGroup.Name)]
public sealed class SensorServeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("tracelink-sensor-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Sensor_spans_of_a_python_server_are_searchable_and_open_by_trace_id()
    {
        if (SensorHost.Check() is { } missing)
        {
            output.WriteLine("skipped: " + missing);
            return;
        }

        var port = FreePort();
        var webRoot = Directory.CreateDirectory(Path.Combine(_data, "www")).FullName;
        await File.WriteAllTextAsync(Path.Combine(webRoot, "probe.txt"), "hello from python");
        using var python = Process.Start(new ProcessStartInfo("python3", ["-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--directory", webRoot]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            await using var server = await ServerProcess.StartAsync(Path.Combine(_data, "db"), "--sensor", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            using var client = new HttpClient();
            await WaitUntilAsync(async () => (await TryGetAsync(client, $"http://127.0.0.1:{port}/probe.txt")) == HttpStatusCode.OK);
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(HttpStatusCode.OK, await TryGetAsync(client, $"http://127.0.0.1:{port}/probe.txt"));
            }

            var query = "/api/search?q=" + Uri.EscapeDataString("{ span.url.path = \"/probe.txt\" }") + "&limit=50";
            JsonElement[] traces = [];
            await WaitUntilAsync(async () =>
            {
                using var result = JsonDocument.Parse(await http.GetStringAsync(query));
                traces = result.RootElement.TryGetProperty("traces", out var list) ? [.. list.EnumerateArray().Select(t => t.Clone())] : [];
                return traces.Length > 0;
            });
            output.WriteLine($"{traces.Length} traces found for /probe.txt");

            using var trace = JsonDocument.Parse(await http.GetStringAsync("/api/traces/" + traces[0].GetProperty("traceID").GetString()));
            var spans = trace.RootElement.GetProperty("batches").EnumerateArray()
                .SelectMany(b => b.GetProperty("scopeSpans").EnumerateArray())
                .SelectMany(s => s.GetProperty("spans").EnumerateArray())
                .ToList();
            Assert.Contains(spans, s => s.GetProperty("attributes").EnumerateArray().Any(a => a.GetProperty("key").GetString() == "http.response.status_code" && a.GetProperty("value").ToString().Contains("200", StringComparison.Ordinal)));
        }
        finally
        {
            python.Kill();
            await python.WaitForExitAsync();
        }
    }

    private static async Task<HttpStatusCode?> TryGetAsync(HttpClient client, string url)
    {
        try
        {
            using var response = await client.GetAsync(url);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            await Task.Delay(250);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
