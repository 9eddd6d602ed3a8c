using System.Net;
using TraceLink.Server.Tests.Support;
using Xunit.Abstractions;

namespace TraceLink.Server.Tests;

/// <summary>The server runs as a real child process and is killed with SIGKILL; acknowledged spans must survive.</summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("tracelink-crash-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task Every_acknowledged_span_is_served_after_SIGKILL_and_restart()
    {
        const int Batches = 40;
        var acknowledged = new List<int>();
        await using (var server = await ServerProcess.StartAsync(_data))
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            // Writers keep going while the kill lands, so some requests are in flight at the crash.
            var killAt = new TaskCompletionSource();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var b = w; b < Batches * 4; b += 4)
                {
                    try
                    {
                        using var response = await OtlpBatches.PostAsync(http, OtlpBatches.Create(b, traces: 5, spansPerTrace: 4));
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            lock (acknowledged)
                            {
                                acknowledged.Add(b);
                                if (acknowledged.Count == Batches)
                                {
                                    killAt.TrySetResult();
                                }
                            }
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return;
                    }
                }
            })).ToList();
            await killAt.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await server.KillAsync();
            await Task.WhenAll(writers);
        }

        output.WriteLine($"{acknowledged.Count} batches acknowledged before SIGKILL");
        await using var restarted = await ServerProcess.StartAsync(_data);
        using var client = new HttpClient { BaseAddress = restarted.BaseAddress };
        foreach (var batch in acknowledged)
        {
            for (var t = 0; t < 5; t++)
            {
                Assert.Equal(4, await OtlpBatches.CountServedSpansAsync(client, OtlpBatches.TraceId(batch, t)));
            }
        }
    }

    [Fact]
    public async Task Every_acknowledged_remote_write_sample_is_readable_after_SIGKILL_and_restart()
    {
        var acknowledged = new List<int>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var server = await ServerProcess.StartAsync(_data))
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            for (var b = 0; b < 30; b++)
            {
                var request = new global::Prometheus.WriteRequest();
                var series = new global::Prometheus.TimeSeries();
                series.Labels.Add(new global::Prometheus.Label { Name = "__name__", Value = "crash_test" });
                series.Labels.Add(new global::Prometheus.Label { Name = "batch", Value = b.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                series.Samples.Add(new global::Prometheus.Sample { Timestamp = now - 1000 + b, Value = b * 1.5 });
                request.Timeseries.Add(series);
                using var response = await Prometheus.Wire.WriteV1Async(http, request);
                Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
                acknowledged.Add(b);
            }

            await server.KillAsync();
        }

        await using var restarted = await ServerProcess.StartAsync(_data);
        using var client = new HttpClient { BaseAddress = restarted.BaseAddress };
        using var result = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/api/v1/query?query=crash_test"));
        var values = result.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .ToDictionary(r => int.Parse(r.GetProperty("metric").GetProperty("batch").GetString()!, System.Globalization.CultureInfo.InvariantCulture), r => r.GetProperty("value")[1].GetString());
        foreach (var b in acknowledged)
        {
            Assert.Equal((b * 1.5).ToString(System.Globalization.CultureInfo.InvariantCulture), values[b]);
        }
    }

    [Fact]
    public async Task Graceful_shutdown_flushes_and_a_restart_serves_everything()
    {
        await using (var server = await ServerProcess.StartAsync(_data))
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            for (var b = 0; b < 5; b++)
            {
                using var response = await OtlpBatches.PostAsync(http, OtlpBatches.Create(b, traces: 2, spansPerTrace: 3));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            Assert.Equal(0, await server.StopAsync());
        }

        await using var restarted = await ServerProcess.StartAsync(_data);
        using var client = new HttpClient { BaseAddress = restarted.BaseAddress };
        for (var b = 0; b < 5; b++)
        {
            Assert.Equal(3, await OtlpBatches.CountServedSpansAsync(client, OtlpBatches.TraceId(b, 1)));
        }
    }
}
