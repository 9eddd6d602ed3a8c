using System.Net;
using System.Text.Json;

using Prometheus;

using TraceLink.Server.Tests.Support;

using V2 = Io.Prometheus.Write.V2;

namespace TraceLink.Server.Tests.Prometheus;

/// <summary>Metadata sent over both remote-write versions is served by <c>/api/v1/metadata</c> of the real server, also after a restart.</summary>
public sealed class MetadataServeTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("tracelink-metadata-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private static async Task<JsonElement> MetadataAsync(HttpClient http, string query = "")
    {
        using var response = await http.GetAsync(new Uri("/api/v1/metadata" + query, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        Assert.Equal("success", body.GetProperty("status").GetString());
        return body.GetProperty("data");
    }

    private static void AssertEntry(JsonElement data, string metric, string type, string help, string unit)
    {
        var entry = Assert.Single(data.GetProperty(metric).EnumerateArray());
        Assert.Equal(type, entry.GetProperty("type").GetString());
        Assert.Equal(help, entry.GetProperty("help").GetString());
        Assert.Equal(unit, entry.GetProperty("unit").GetString());
    }

    [Fact]
    public async Task Remote_write_metadata_of_both_versions_is_served_and_survives_a_restart()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var server = await ServerProcess.StartAsync(_data, "--no-derived-signals"))
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress };

            // 1.0: Prometheus sends metadata in its own requests with no series.
            var v1 = new WriteRequest
            {
                Metadata =
                {
                    new MetricMetadata { Type = MetricMetadata.Types.MetricType.Counter, MetricFamilyName = "http_requests_total", Help = "Requests served." },
                    new MetricMetadata { Type = MetricMetadata.Types.MetricType.Gauge, MetricFamilyName = "room_temperature_celsius", Help = "Room temperature.", Unit = "celsius" },
                },
            };
            using (var r = await Wire.WriteV1Async(http, v1))
            {
                Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
            }

            // 2.0: metadata rides on each series, help and unit through the symbols table.
            var v2 = new V2.Request { Symbols = { "", "__name__", "rpc_duration_seconds_bucket", "le", "+Inf", "RPC latency.", "seconds", "queue_depth", "Items queued." } };
            var bucket = new V2.TimeSeries { LabelsRefs = { 1, 2, 3, 4 }, Metadata = new V2.Metadata { Type = V2.Metadata.Types.MetricType.Histogram, HelpRef = 5, UnitRef = 6 } };
            bucket.Samples.Add(new V2.Sample { Value = 3, Timestamp = now });
            var gauge = new V2.TimeSeries { LabelsRefs = { 1, 7 }, Metadata = new V2.Metadata { Type = V2.Metadata.Types.MetricType.Gauge, HelpRef = 8 } };
            gauge.Samples.Add(new V2.Sample { Value = 5, Timestamp = now });
            v2.Timeseries.Add(bucket);
            v2.Timeseries.Add(gauge);
            using (var r = await Wire.WriteV2Async(http, v2))
            {
                Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
            }

            var data = await MetadataAsync(http);
            AssertEntry(data, "http_requests_total", "counter", "Requests served.", string.Empty);
            AssertEntry(data, "room_temperature_celsius", "gauge", "Room temperature.", "celsius");
            AssertEntry(data, "rpc_duration_seconds", "histogram", "RPC latency.", "seconds");
            AssertEntry(data, "queue_depth", "gauge", "Items queued.", string.Empty);
            Assert.False(data.TryGetProperty("traces_spanmetrics_calls_total", out _));
            Assert.Equal(0, await server.StopAsync());
        }

        await using var restarted = await ServerProcess.StartAsync(_data);
        using var client = new HttpClient { BaseAddress = restarted.BaseAddress };
        var after = await MetadataAsync(client);
        AssertEntry(after, "http_requests_total", "counter", "Requests served.", string.Empty);
        AssertEntry(after, "room_temperature_celsius", "gauge", "Room temperature.", "celsius");
        AssertEntry(after, "rpc_duration_seconds", "histogram", "RPC latency.", "seconds");
        AssertEntry(after, "queue_depth", "gauge", "Items queued.", string.Empty);

        // The span-metrics connector registers its own families when derived signals are on (the default).
        Assert.Equal("counter", after.GetProperty("traces_spanmetrics_calls_total")[0].GetProperty("type").GetString());
        AssertEntry(after, "traces_spanmetrics_duration_seconds", "histogram", "Duration of spans, by service, span name, kind, status and configured dimensions.", "seconds");
        Assert.Equal(["queue_depth"], (await MetadataAsync(client, "?metric=queue_depth")).EnumerateObject().Select(p => p.Name));
    }
}
