using System.Net;
using System.Net.Sockets;
using System.Text;

using TraceLink.Protocol.Spans;

namespace TraceLink.Sensor.Tests.EndToEnd;

/// <summary>
/// The TCP sequence of a record is computed at syscall exit from the socket's counters; these exchanges put the
/// edge cases of that computation on the wire with plain sockets.
/// </summary>
[Collection(SensorEndToEnd.Name)]
public sealed class TcpSeqEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_response_read_together_with_the_peers_FIN_has_the_servers_seq()
    {
        if (SensorEndToEnd.SkipReason() is { } reason)
        {
            output.WriteLine("skipped: " + reason);
            return;
        }

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        await using var sensor = await SensorRun.StartAsync(o => o.Ports.Add(port));

        const int exchanges = 3;
        var serving = Task.Run(() =>
        {
            var buffer = new byte[4096];
            for (int i = 0; i < exchanges; i++)
            {
                using var connection = listener.Accept();
                connection.Receive(buffer);
                connection.Send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8);
                connection.Shutdown(SocketShutdown.Send); // the FIN follows the response at once
            }
        });

        for (int i = 0; i < exchanges; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, port);
            client.Send(Encoding.ASCII.GetBytes($"GET /fin/{i} HTTP/1.1\r\nHost: test\r\n\r\n"));
            await Task.Delay(100); // response and FIN are both queued: one receive returns the bytes and consumes the FIN
            var buffer = new byte[4096];
            Assert.Equal(2, Encoding.ASCII.GetString(buffer, 0, client.Receive(buffer)).Split("\r\n\r\n")[1].Length);
            Assert.Equal(0, client.Receive(buffer));
        }

        await serving;
        var spans = await sensor.Spans.WaitAsync(s => s.Count >= 2 * exchanges, TimeSpan.FromSeconds(10));
        for (int i = 0; i < exchanges; i++)
        {
            var (clientSpan, serverSpan) = KestrelEndToEndTests.Pair(spans, $"/fin/{i}");
            output.WriteLine($"/fin/{i}: resp seq client {clientSpan.Int(SpanAttributeNames.TcpRespSeq)} server {serverSpan.Int(SpanAttributeNames.TcpRespSeq)}");
            Assert.Equal(serverSpan.Int(SpanAttributeNames.TcpReqSeq), clientSpan.Int(SpanAttributeNames.TcpReqSeq));
            Assert.Equal(serverSpan.Int(SpanAttributeNames.TcpRespSeq), clientSpan.Int(SpanAttributeNames.TcpRespSeq));
            Assert.NotEqual(0, clientSpan.Int(SpanAttributeNames.TcpRespSeq));
        }
    }
}
