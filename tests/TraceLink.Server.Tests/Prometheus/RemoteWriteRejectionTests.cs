using System.Net;

using Google.Protobuf;

using Prometheus;

using TraceLink.Ingest.RemoteWrite;

namespace TraceLink.Server.Tests.Prometheus;

public sealed class RemoteWriteRejectionTests
{
    private const long T0 = 1_700_000_000_000;

    private static TimeSeries Series(params string[] kv)
    {
        var ts = new TimeSeries();
        for (int i = 0; i < kv.Length; i += 2)
        {
            ts.Labels.Add(new global::Prometheus.Label { Name = kv[i], Value = kv[i + 1] });
        }

        ts.Samples.Add(new global::Prometheus.Sample { Timestamp = T0, Value = 1 });
        return ts;
    }

    private static async Task<(HttpStatusCode Status, string Body, int Series)> PostAsync(Func<TsdbHost, Task<HttpResponseMessage>> send, RemoteWriteOptions? options = null)
    {
        await using var host = await TsdbHost.StartAsync(options);
        using var response = await send(host);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), host.Store.SeriesCount);
    }

    private static Task<HttpResponseMessage> WithGoodSeriesFirst(TsdbHost host, TimeSeries bad) =>
        Wire.WriteV1Async(host.Client, new WriteRequest { Timeseries = { Series("__name__", "good", "job", "x"), bad } });

    [Fact]
    public async Task Remote_write_with_bad_snappy_returns_400()
    {
        var (status, body, series) = await PostAsync(h => h.Client.PostAsync(new Uri("/api/v1/write", UriKind.Relative), Wire.Body([0x20, 0xFF, 0x01, 0x02], compress: false)));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("snappy", body, StringComparison.Ordinal);
        Assert.Equal(0, series);
    }

    [Fact]
    public async Task Remote_write_with_framed_snappy_returns_400()
    {
        byte[] framed = [0xFF, 0x06, 0x00, 0x00, (byte)'s', (byte)'N', (byte)'a', (byte)'P', (byte)'p', (byte)'Y', 0x01];
        var (status, _, _) = await PostAsync(h => h.Client.PostAsync(new Uri("/api/v1/write", UriKind.Relative), Wire.Body(framed, compress: false)));
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task Remote_write_with_bad_protobuf_returns_400()
    {
        var (status, body, series) = await PostAsync(h => h.Client.PostAsync(new Uri("/api/v1/write", UriKind.Relative), Wire.Body([0x0A, 0x50, 0x01])));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("protobuf", body, StringComparison.Ordinal);
        Assert.Equal(0, series);
    }

    [Theory]
    [InlineData("unsorted", "labels not sorted", "__name__", "m", "b", "1", "a", "2")]
    [InlineData("duplicate", "duplicate label name job", "__name__", "m", "job", "1", "job", "2")]
    [InlineData("empty name", "empty label name", "", "v", "__name__", "m")]
    [InlineData("invalid metric name", "invalid metric name \"1bad-name\"", "__name__", "1bad-name")]
    [InlineData("missing metric name", "missing metric name", "job", "x")]
    public async Task Remote_write_with_invalid_labels_returns_400_naming_the_series_and_stores_nothing(string caseName, string reason, params string[] labels)
    {
        var (status, body, series) = await PostAsync(h => WithGoodSeriesFirst(h, Series(labels)));
        Assert.True(status == HttpStatusCode.BadRequest, caseName);
        Assert.Contains(reason, body, StringComparison.Ordinal);
        Assert.Contains(labels[^1], body, StringComparison.Ordinal);
        Assert.Equal(0, series);
    }

    [Fact]
    public async Task Remote_write_with_too_old_sample_returns_400_and_stores_nothing_of_the_request()
    {
        await using var host = await TsdbHost.StartAsync(outOfOrderWindow: TimeSpan.FromMinutes(5));
        var first = Series("__name__", "m", "job", "x");
        first.Samples[0].Timestamp = T0 + 3_600_000;
        using (var ok = await Wire.WriteV1Async(host.Client, new WriteRequest { Timeseries = { first } }))
        {
            Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        }

        using var response = await WithGoodSeriesFirst(host, Series("__name__", "m", "job", "x"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains("too old sample", body, StringComparison.Ordinal);
        Assert.Contains("__name__=\"m\"", body, StringComparison.Ordinal);
        Assert.Equal(1, host.Store.SeriesCount);
    }

    [Fact]
    public async Task Remote_write_v2_rejection_reports_zero_written()
    {
        await using var host = await TsdbHost.StartAsync();
        var req = new Io.Prometheus.Write.V2.Request { Symbols = { "", "__name__", "m" } };
        req.Timeseries.Add(new Io.Prometheus.Write.V2.TimeSeries { LabelsRefs = { 1, 9 }, Samples = { new Io.Prometheus.Write.V2.Sample { Timestamp = T0, Value = 1 } } });
        using var response = await Wire.WriteV2Async(host.Client, req);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("0", response.Headers.GetValues("X-Prometheus-Remote-Write-Samples-Written").Single());
    }

    [Fact]
    public async Task Remote_write_over_the_body_limit_returns_413()
    {
        var big = new WriteRequest();
        for (int i = 0; i < 200; i++)
        {
            big.Timeseries.Add(Series("__name__", "m", "i", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var (status, _, series) = await PostAsync(h => Wire.WriteV1Async(h.Client, big), new RemoteWriteOptions { MaxBodyBytes = 256 });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(0, series);
    }

    [Fact]
    public async Task Remote_write_with_unknown_proto_returns_415()
    {
        var (status, _, _) = await PostAsync(h => h.Client.PostAsync(new Uri("/api/v1/write", UriKind.Relative), Wire.Body(new WriteRequest().ToByteArray(), "application/x-protobuf;proto=foo.Bar")));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
    }

    [Fact]
    public async Task Metadata_only_request_is_accepted()
    {
        var req = new WriteRequest { Metadata = { new MetricMetadata { MetricFamilyName = "up", Type = MetricMetadata.Types.MetricType.Gauge, Help = "h" } } };
        var (status, _, series) = await PostAsync(h => Wire.WriteV1Async(h.Client, req));
        Assert.Equal(HttpStatusCode.NoContent, status);
        Assert.Equal(0, series);
    }
}
