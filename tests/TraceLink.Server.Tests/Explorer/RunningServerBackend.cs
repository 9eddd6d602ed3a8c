using System.Net;
using System.Net.Http.Headers;

using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Server.Tests.Support;

namespace TraceLink.Server.Tests.Explorer;

/// <summary>A real TraceLink server; traces go in through OTLP/HTTP like any SDK's.</summary>
internal sealed class RunningServerBackend : IExplorerBackend
{
    // What the page reads; the tests fail when the server does not answer all of them. The log API is
    // checked separately: without it the trace page shows its log section as unavailable.
    private static readonly (string Path, string What)[] RequiredEndpoints =
    [
        ("/", "the Explorer (MapExplorer)"),
        ("/api/echo", "the Tempo API"),
        ("/api/v1/query?query=1", "the Prometheus query API"),
        ("/api/v1/query_exemplars?query=traces_spanmetrics_duration_seconds", "the Prometheus exemplar API"),
    ];

    private const string LogProbe = "/loki/api/v1/query_range?query=%7Bservice_name%3D%22x%22%7D";

    private readonly HttpClient _client;
    private readonly ServerProcess? _process;
    private readonly string? _dataDirectory;

    private RunningServerBackend(Uri baseAddress, ServerProcess? process, string? dataDirectory, string description)
    {
        BaseAddress = baseAddress;
        _process = process;
        _dataDirectory = dataDirectory;
        Description = description;
        _client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public string Description { get; }

    public bool ServesLogs { get; private set; }

    /// <summary>A server someone already started (TRACELINK_URL).</summary>
    public static async Task<RunningServerBackend> AttachAsync(Uri baseAddress)
    {
        var backend = new RunningServerBackend(baseAddress, null, null, $"the TraceLink server at {baseAddress}");
        await backend.ProbeLogsAsync();
        return backend;
    }

    /// <summary>
    /// Starts the real <c>tracelink serve</c> process; returns null and the missing parts when the server does
    /// not serve everything the Explorer reads.
    /// </summary>
    public static async Task<(RunningServerBackend? Backend, string Missing)> TryStartAsync()
    {
        var data = Directory.CreateTempSubdirectory("tracelink-explorer-").FullName;
        var process = await ServerProcess.StartAsync(data);
        var backend = new RunningServerBackend(process.BaseAddress, process, data, $"the tracelink process at {process.BaseAddress} (pid {process.Pid})");
        var missing = new List<string>();
        foreach (var (path, what) in RequiredEndpoints)
        {
            using var response = await backend._client.GetAsync(new Uri(path, UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK || (path == "/" && !body.Contains("/js/app.js", StringComparison.Ordinal)))
            {
                missing.Add($"{what} (GET {path} answered {(int)response.StatusCode})");
            }
        }

        if (missing.Count == 0)
        {
            await backend.ProbeLogsAsync();
            return (backend, string.Empty);
        }

        await backend.DisposeAsync();
        return (null, string.Join("; ", missing));
    }

    private async Task ProbeLogsAsync()
    {
        using var response = await _client.GetAsync(new Uri(LogProbe, UriKind.Relative));
        ServesLogs = response.StatusCode == HttpStatusCode.OK;
    }

    public async Task IngestAsync(ExportTraceServiceRequest request)
    {
        using var content = new ByteArrayContent(request.ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var response = await _client.PostAsync(new Uri("/v1/traces", UriKind.Relative), content);
        Assert.True(response.IsSuccessStatusCode, $"POST /v1/traces answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        if (_dataDirectory is not null)
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }
}
