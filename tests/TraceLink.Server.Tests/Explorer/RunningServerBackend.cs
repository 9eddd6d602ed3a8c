using System.Net.Http.Headers;

using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;

namespace TraceLink.Server.Tests.Explorer;

/// <summary>A real TraceLink server already listening at a URL; traces go in through OTLP/HTTP like any SDK's.</summary>
internal sealed class RunningServerBackend : IExplorerBackend
{
    private readonly HttpClient _client;

    public RunningServerBackend(Uri baseAddress)
    {
        BaseAddress = baseAddress;
        _client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public string Description => $"the TraceLink server at {BaseAddress}";

    public async Task IngestAsync(ExportTraceServiceRequest request)
    {
        using var content = new ByteArrayContent(request.ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var response = await _client.PostAsync(new Uri("/v1/traces", UriKind.Relative), content);
        Assert.True(response.IsSuccessStatusCode, $"POST /v1/traces answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
