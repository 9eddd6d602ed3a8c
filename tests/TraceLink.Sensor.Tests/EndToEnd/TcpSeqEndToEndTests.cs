using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

using TraceLink.Protocol.Spans;

namespace TraceLink.Sensor.Tests.EndToEnd;

/// <summary>
/// The TCP sequence of a record is computed at syscall exit from the socket's counters; these exchanges put the
/// edge cases of that computation on the wire with plain sockets.
/// </summary>
[Collection(SensorEndToEnd.Name)]
public sealed partial class TcpSeqEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_response_read_together_with_the_peers_FIN_has_the_servers_seq()
    {
        if (SensorEndToEnd.SkipReason() is { } reason)
        {
            output.WriteLine("skipped: " + reason);
            return;
        }

        using var listener = LoopbackListener(out int port);
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

    [Fact]
    public async Task A_client_on_sendmmsg_and_recvmmsg_has_the_seqs_of_a_server_on_recv_and_send()
    {
        if (SensorEndToEnd.SkipReason() is { } reason)
        {
            output.WriteLine("skipped: " + reason);
            return;
        }

        using var listener = LoopbackListener(out int port);
        await using var sensor = await SensorRun.StartAsync(o => o.Ports.Add(port));

        const int exchanges = 3;
        var serving = Task.Run(() =>
        {
            // the server uses recv/send: the mmsg side's seqs must match a peer whose seqs come from other syscalls
            using var connection = listener.Accept();
            var buffer = new byte[4096];
            for (int i = 0; i < exchanges; i++)
            {
                Assert.Contains("GET /mmsg/", Encoding.ASCII.GetString(buffer, 0, connection.Receive(buffer)), StringComparison.Ordinal);
                connection.Send("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nmmsg"u8);
            }
        });

        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            client.Connect(IPAddress.Loopback, port); // synchronously: an async call would leave the fd non-blocking
            for (int i = 0; i < exchanges; i++)
            {
                SendOneMessage(client, Encoding.ASCII.GetBytes($"GET /mmsg/{i} HTTP/1.1\r\nHost: test\r\n\r\n"));
                Assert.EndsWith("mmsg", Encoding.ASCII.GetString(ReceiveOneMessage(client)), StringComparison.Ordinal);
            }
        }

        await serving;
        var spans = await sensor.Spans.WaitAsync(s => s.Count >= 2 * exchanges, TimeSpan.FromSeconds(10));
        for (int i = 0; i < exchanges; i++)
        {
            var (clientSpan, serverSpan) = KestrelEndToEndTests.Pair(spans, $"/mmsg/{i}");
            Assert.Equal(200, clientSpan.Int("http.response.status_code"));
            Assert.Equal(serverSpan.Int(SpanAttributeNames.TcpReqSeq), clientSpan.Int(SpanAttributeNames.TcpReqSeq));
            Assert.Equal(serverSpan.Int(SpanAttributeNames.TcpRespSeq), clientSpan.Int(SpanAttributeNames.TcpRespSeq));
        }
    }

    private static Socket LoopbackListener(out int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        return listener;
    }

    /// <summary>sendmmsg with one message of one iovec (what a TCP caller of it does).</summary>
    private static unsafe void SendOneMessage(Socket socket, ReadOnlySpan<byte> data)
    {
        fixed (byte* bytes = data)
        {
            var iov = new IoVec { Base = bytes, Length = (nuint)data.Length };
            var message = new MMsgHdr { Header = new MsgHdr { Iov = &iov, IovLength = 1 } };
            int sent = sendmmsg((int)socket.SafeHandle.DangerousGetHandle(), &message, 1, 0);
            Assert.True(sent == 1, $"sendmmsg: {sent}, errno {Marshal.GetLastPInvokeError()}");
            Assert.Equal((uint)data.Length, message.Length);
        }
    }

    /// <summary>recvmmsg of one message into one 4 KiB iovec (blocks until bytes arrive).</summary>
    private static unsafe byte[] ReceiveOneMessage(Socket socket)
    {
        var buffer = new byte[4096];
        fixed (byte* bytes = buffer)
        {
            var iov = new IoVec { Base = bytes, Length = (nuint)buffer.Length };
            var message = new MMsgHdr { Header = new MsgHdr { Iov = &iov, IovLength = 1 } };
            int received = recvmmsg((int)socket.SafeHandle.DangerousGetHandle(), &message, 1, 0, null);
            Assert.True(received == 1, $"recvmmsg: {received}, errno {Marshal.GetLastPInvokeError()}");
            return buffer[..(int)message.Length];
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sendmmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int recvmmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }
}
