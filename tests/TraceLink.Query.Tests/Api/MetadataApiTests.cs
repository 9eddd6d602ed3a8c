using System.Net;
using System.Text.Json;

using TraceLink.Storage.Metadata;

namespace TraceLink.Query.Tests.Api;

public sealed class MetadataApiTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tracelink-metadata-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static MetricMetadataStore Sample()
    {
        var store = MetricMetadataStore.InMemory();
        store.Set("http_requests_total", new MetricMetadata(MetricType.Counter, "Requests served.", string.Empty));
        store.Set("http_requests_total", new MetricMetadata(MetricType.Counter, "Requests served, by code.", string.Empty));
        store.Set("http_requests_total", new MetricMetadata(MetricType.Counter, "Requests served.", string.Empty));
        store.Set("temperature", new MetricMetadata(MetricType.Gauge, "Room temperature.", "celsius"));
        store.Set("rpc_seconds", new MetricMetadata(MetricType.Histogram, "RPC latency.", "seconds"));
        return store;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(MetricMetadataStore? store, string query)
    {
        await using var host = await ApiHost.StartAsync(new InMemorySeriesStore(), metadata: store);
        using var response = await host.Client.GetAsync(new Uri("/api/v1/metadata" + query, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Metadata_lists_every_distinct_entry_per_family_in_prometheus_shape()
    {
        var (status, body) = await GetAsync(Sample(), string.Empty);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("success", body.GetProperty("status").GetString());
        var data = body.GetProperty("data");
        Assert.Equal(["http_requests_total", "rpc_seconds", "temperature"], data.EnumerateObject().Select(p => p.Name));
        var requests = data.GetProperty("http_requests_total").EnumerateArray().ToList();
        Assert.Equal(2, requests.Count);
        Assert.Equal("Requests served.", requests[0].GetProperty("help").GetString());
        Assert.Equal("Requests served, by code.", requests[1].GetProperty("help").GetString());
        var temperature = data.GetProperty("temperature")[0];
        Assert.Equal(["type", "help", "unit"], temperature.EnumerateObject().Select(p => p.Name));
        Assert.Equal("gauge", temperature.GetProperty("type").GetString());
        Assert.Equal("celsius", temperature.GetProperty("unit").GetString());
        Assert.Equal("histogram", data.GetProperty("rpc_seconds")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Metadata_limit_counts_families_and_limit_per_metric_counts_entries()
    {
        var (_, limited) = await GetAsync(Sample(), "?limit=2&limit_per_metric=1");
        var data = limited.GetProperty("data");
        Assert.Equal(2, data.EnumerateObject().Count());
        Assert.Single(data.GetProperty("http_requests_total").EnumerateArray());

        // As in Prometheus, limit=0 returns nothing while a negative limit means no limit.
        var (_, zero) = await GetAsync(Sample(), "?limit=0");
        Assert.Empty(zero.GetProperty("data").EnumerateObject());
        var (_, negative) = await GetAsync(Sample(), "?limit=-1");
        Assert.Equal(3, negative.GetProperty("data").EnumerateObject().Count());
    }

    [Fact]
    public async Task Metadata_metric_parameter_selects_one_family_and_unknown_is_empty()
    {
        var (_, one) = await GetAsync(Sample(), "?metric=temperature");
        Assert.Equal(["temperature"], one.GetProperty("data").EnumerateObject().Select(p => p.Name));
        var (_, none) = await GetAsync(Sample(), "?metric=nope");
        Assert.Equal(JsonValueKind.Object, none.GetProperty("data").ValueKind);
        Assert.Empty(none.GetProperty("data").EnumerateObject());
    }

    [Fact]
    public async Task Metadata_with_a_non_numeric_limit_is_bad_data()
    {
        var (status, body) = await GetAsync(Sample(), "?limit=x");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("bad_data", body.GetProperty("errorType").GetString());
        Assert.Equal("limit must be a number", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Metadata_without_a_store_is_an_empty_object()
    {
        var (_, body) = await GetAsync(null, string.Empty);
        Assert.Empty(body.GetProperty("data").EnumerateObject());
    }

    [Fact]
    public void Flushed_metadata_is_loaded_again_and_a_corrupt_file_is_set_aside()
    {
        using (var store = MetricMetadataStore.Open(_dir))
        {
            store.Set("temperature", new MetricMetadata(MetricType.Gauge, "Room temperature, °C.", "celsius"));
            store.Set("temperature", new MetricMetadata(MetricType.Gauge, "Other help.", string.Empty));
            store.Flush();
        }

        using (var reopened = MetricMetadataStore.Open(_dir))
        {
            var all = reopened.Query();
            var entries = Assert.Single(all).Value;
            Assert.Equal(new MetricMetadata(MetricType.Gauge, "Room temperature, °C.", "celsius"), entries[0]);
            Assert.Equal(new MetricMetadata(MetricType.Gauge, "Other help.", string.Empty), entries[1]);
        }

        var path = Path.Combine(_dir, MetricMetadataStore.FileName);
        var bytes = File.ReadAllBytes(path);
        bytes[10] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        using var afterCorruption = MetricMetadataStore.Open(_dir);
        Assert.Equal(0, afterCorruption.Count);
        Assert.True(File.Exists(path + ".corrupt"));
    }
}
