using System.Net.Http.Headers;

namespace TraceLink.Sensor.Export;

/// <summary>A sensor sink that POSTs each batch as OTLP/HTTP protobuf to <c>{baseUrl}/v1/traces</c>.</summary>
public sealed class OtlpHttpExporter : IDisposable
{
    private static readonly MediaTypeHeaderValue Protobuf = new("application/x-protobuf");
    private readonly HttpClient _client;
    private readonly bool _ownsClient;
    private readonly Uri _endpoint;

    /// <summary>Creates an exporter for the server at <paramref name="baseUrl"/> (e.g. <c>http://host:4318</c>).</summary>
    public OtlpHttpExporter(Uri baseUrl, HttpClient? client = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        _ownsClient = client is null;
        _client = client ?? new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string text = baseUrl.AbsoluteUri.TrimEnd('/');
        _endpoint = new Uri(text.EndsWith("/v1/traces", StringComparison.Ordinal) ? text : text + "/v1/traces");
    }

    /// <summary>The URL batches are posted to.</summary>
    public Uri Endpoint => _endpoint;

    /// <summary>
    /// Sends one encoded <c>ExportTraceServiceRequest</c>; retries once on a 5xx or a network error, throws if that fails too.
    /// </summary>
    public async ValueTask ExportAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var content = new ReadOnlyMemoryContent(body);
                content.Headers.ContentType = Protobuf;
                using var response = await _client.PostAsync(_endpoint, content, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                if ((int)response.StatusCode < 500 || attempt > 0)
                {
                    throw new HttpRequestException($"OTLP export to {_endpoint} failed: {(int)response.StatusCode} {response.ReasonPhrase}");
                }
            }
            catch (HttpRequestException) when (attempt == 0)
            {
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }
}
