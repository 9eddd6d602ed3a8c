using System.Diagnostics;
using System.Net;

using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;

namespace TraceLink.Sensor.Tests.EndToEnd;

/// <summary>Kestrel under a paced, bounded load of 1,000 requests/s on keep-alive connections, observed by the sensor.</summary>
[Collection(SensorEndToEnd.Name)]
public sealed class LoadEndToEndTests(ITestOutputHelper output)
{
    private const int RequestsPerSecond = 1000;
    private const int Seconds = 5;
    private const int Connections = 8;

    [Fact]
    public async Task Sustained_1000_requests_per_second_lose_no_ring_buffer_records_and_every_request_gets_a_span_pair()
    {
        if (SensorEndToEnd.SkipReason() is { } reason)
        {
            output.WriteLine("skipped: " + reason);
            return;
        }

        await using var app = await KestrelEndToEndTests.StartKestrelAsync(https: false);
        int port = KestrelEndToEndTests.Port(app);
        await using var sensor = await SensorRun.StartAsync(o => o.Ports.Add(port));
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Connections, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        const int total = RequestsPerSecond * Seconds;
        var (elapsed, failures) = await PacedLoadAsync(client, total);
        output.WriteLine($"{total} requests in {elapsed.TotalSeconds:F2} s ({total / elapsed.TotalSeconds:F0} req/s), {failures} failed");
        Assert.Equal(0, failures);

        var spans = await sensor.Spans.WaitAsync(s => s.Count >= 2 * total, TimeSpan.FromSeconds(20));
        var stats = sensor.Host.Statistics;
        output.WriteLine(stats.ToString());

        // one client span and one server span per request, joined by the request's tcp seq
        var clientSeq = new long?[total];
        var serverSeq = new long?[total];
        int clientSpans = 0, serverSpans = 0;
        foreach (var (_, span) in spans)
        {
            if (span.Str("url.query") is not { } query || !query.StartsWith("i=", StringComparison.Ordinal)
                || !int.TryParse(query.AsSpan(2), out int i) || i is < 0 or >= total)
            {
                continue;
            }

            var slots = span.Kind == Span.Types.SpanKind.Client ? clientSeq : serverSeq;
            Assert.Null(slots[i]);
            slots[i] = span.Int(SpanAttributeNames.TcpReqSeq);
            _ = span.Kind == Span.Types.SpanKind.Client ? clientSpans++ : serverSpans++;
        }

        output.WriteLine($"client spans {clientSpans}, server spans {serverSpans}");
        Assert.Equal(0, stats.RingBufferDrops);
        Assert.Equal(0, stats.SpansDropped);
        Assert.Equal(total, clientSpans);
        Assert.Equal(total, serverSpans);
        for (int i = 0; i < total; i++)
        {
            Assert.Equal(clientSeq[i], serverSeq[i]);
        }
    }

    /// <summary>
    /// Sends <paramref name="total"/> requests, request i due at i/<see cref="RequestsPerSecond"/> s after the start,
    /// from a fixed number of workers (one keep-alive connection each); a late worker catches up without bursting
    /// beyond its own connection. Returns when every request completed.
    /// </summary>
    private static async Task<(TimeSpan Elapsed, int Failures)> PacedLoadAsync(HttpClient client, int total)
    {
        int next = -1;
        int failures = 0;
        var clock = Stopwatch.StartNew();
        async Task Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                var due = TimeSpan.FromSeconds((double)i / RequestsPerSecond);
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                using var response = await client.GetAsync($"/ping?i={i}");
                if (response.StatusCode != HttpStatusCode.OK || await response.Content.ReadAsStringAsync() != "pong")
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }

        var workers = new Task[Connections];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(Worker);
        }

        await Task.WhenAll(workers);
        return (clock.Elapsed, failures);
    }
}
