using System.Text;

using TraceLink.Sensor.Capture;
using TraceLink.Sensor.Http;
using TraceLink.Sensor.Native;

namespace TraceLink.Sensor.Tests.Capture;

/// <summary>The tracker fed with synthetic ring-buffer records, as the kernel would emit them.</summary>
public sealed class ConnectionTrackerTests
{
    private const uint Pid = 4242;
    private readonly List<HttpExchange> _exchanges = [];
    private readonly ConnectionTracker _tracker;
    private ulong _clock = 1_000_000;

    public ConnectionTrackerTests()
    {
        _tracker = new ConnectionTracker(HttpParserLimits.Default, _exchanges.Add, monotonicToUnixNs: 5_000_000_000);
    }

    [Fact]
    public void Request_sent_and_response_received_pair_into_a_client_exchange()
    {
        Data(sock: 1, tid: 10, Direction.Egress, seq: 100, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        Data(sock: 1, tid: 11, Direction.Ingress, seq: 900, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

        var exchange = Assert.Single(_exchanges);
        Assert.True(exchange.IsClient);
        Assert.Equal("/a", exchange.Request.Target);
        Assert.Equal(200, exchange.Response.StatusCode);
        Assert.Equal(100u, exchange.Request.StartSeq);
        Assert.Equal(900u, exchange.Response.StartSeq);
        Assert.Equal(10u, exchange.Request.Tid);
        Assert.True(exchange.Request.StartTs > 5_000_000_000, "monotonic stamps are shifted to Unix time");
    }

    [Fact]
    public void Server_thread_carries_its_syscall_trace_id_from_the_read_to_the_writes()
    {
        // server reads a request, calls a backend on the same thread, then answers
        Data(sock: 1, tid: 20, Direction.Ingress, seq: 1, "GET /front HTTP/1.1\r\n\r\n");
        Data(sock: 2, tid: 20, Direction.Egress, seq: 50, "GET /back HTTP/1.1\r\n\r\n");
        Data(sock: 2, tid: 20, Direction.Ingress, seq: 70, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        Data(sock: 1, tid: 20, Direction.Egress, seq: 90, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");

        var back = _exchanges.Single(e => e.Request.Target == "/back");
        var front = _exchanges.Single(e => e.Request.Target == "/front");
        Assert.False(front.IsClient);
        Assert.True(back.IsClient);
        Assert.Equal(front.Request.SyscallTraceId, back.Request.SyscallTraceId);
        Assert.Equal(back.Response.SyscallTraceId, front.Response.SyscallTraceId);
        Assert.NotEqual(front.Request.SyscallTraceId, front.Response.SyscallTraceId);
    }

    [Fact]
    public void Ssl_read_is_tied_to_the_socket_the_thread_just_read_and_ciphertext_is_not_parsed()
    {
        // the receive carries the client's Finished record, then the request's record (plaintext + 17)
        Data(sock: 7, tid: 30, Direction.Ingress, seq: 1000, TlsRecord(53) + TlsRecord(24));
        Ssl(ssl: 0xABC, tid: 30, Direction.Ingress, "GET /secure HTTP/1.1\r\n\r\n");

        // .NET encrypts first and sends after: the plaintext waits for the send on the same thread
        Ssl(ssl: 0xABC, tid: 31, Direction.Egress, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        Assert.Empty(_exchanges);
        Data(sock: 7, tid: 31, Direction.Egress, seq: 5000, TlsRecord(38));

        var exchange = Assert.Single(_exchanges);
        Assert.True(exchange.Connection.IsTls);
        Assert.Equal("/secure", exchange.Request.Target);
        Assert.Equal(1000u + 5 + 53 + 17, exchange.Request.StartSeq);
        Assert.Equal(5000u, exchange.Response.StartSeq);
    }

    [Fact]
    public void Ssl_write_with_the_send_nested_inside_uses_that_send()
    {
        // native OpenSSL: SSL_write enters, write(2) runs inside it, SSL_write returns
        ulong sslEnter = _clock;
        Data(sock: 8, tid: 40, Direction.Egress, seq: 300, TlsRecord(23));
        Ssl(ssl: 0xDEF, tid: 40, Direction.Egress, "GET /native HTTP/1.1\r\n\r\n", enter: sslEnter);
        Data(sock: 8, tid: 40, Direction.Ingress, seq: 700, TlsRecord(27));
        Ssl(ssl: 0xDEF, tid: 40, Direction.Ingress, "HTTP/1.1 204 No Content\r\n\r\n");

        var exchange = Assert.Single(_exchanges);
        Assert.Equal(300u, exchange.Request.StartSeq);
        Assert.Equal(700u, exchange.Response.StartSeq);
    }

    [Fact]
    public void Ssl_object_is_tied_by_its_handshake_ciphertext_when_other_threads_move_the_bytes()
    {
        // .NET in one process as client (socket 1) and server (socket 2): the server's SSL object writes its
        // ServerHello into memory on one thread and another thread sends it; no thread rule can tie them
        string clientHello = Handshake(300, fill: 0x11);
        string serverHello = Handshake(900, fill: 0x22);
        TlsOut(ssl: 0xC1, tid: 80, clientHello);
        Data(sock: 1, tid: 81, Direction.Egress, seq: 10, clientHello);
        Data(sock: 2, tid: 82, Direction.Ingress, seq: 10, clientHello);
        TlsOut(ssl: 0x5E, tid: 83, serverHello);
        Data(sock: 2, tid: 84, Direction.Egress, seq: 7000, serverHello);
        Data(sock: 1, tid: 85, Direction.Ingress, seq: 7000, serverHello);

        // the request's record arrives on one thread and is decrypted on another; the response is encrypted
        // on a third thread and sent by a fourth
        Data(sock: 2, tid: 86, Direction.Ingress, seq: 400, TlsRecord(25));
        Ssl(ssl: 0x5E, tid: 87, Direction.Ingress, "GET /first HTTP/1.1\r\n\r\n");
        Ssl(ssl: 0x5E, tid: 88, Direction.Egress, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        Data(sock: 2, tid: 89, Direction.Egress, seq: 8000, TlsRecord(38));

        var exchange = Assert.Single(_exchanges);
        Assert.False(exchange.IsClient);
        Assert.Equal(2u, (uint)exchange.Connection.Key.Sock);
        Assert.Equal("/first", exchange.Request.Target);
        Assert.Equal(400u, exchange.Request.StartSeq);
        Assert.Equal(8000u, exchange.Response.StartSeq);
        Assert.Equal(0, _tracker.UnlinkedSslRecords);
    }

    [Fact]
    public void Handshake_bytes_sent_by_another_process_do_not_tie_an_ssl_object()
    {
        string hello = Handshake(300, fill: 0x33);
        TlsOut(ssl: 0xC2, tid: 90, hello);
        Data(sock: 9, tid: 91, Direction.Egress, seq: 1, hello, pid: Pid + 1);

        // still plaintext HTTP to the tracker: the object's socket must be in the process that wrote the bytes
        Data(sock: 9, tid: 91, Direction.Egress, seq: 400, "GET /plain HTTP/1.1\r\n\r\n", pid: Pid + 1);
        Data(sock: 9, tid: 91, Direction.Ingress, seq: 900, "HTTP/1.1 204 No Content\r\n\r\n", pid: Pid + 1);

        var exchange = Assert.Single(_exchanges);
        Assert.False(exchange.Connection.IsTls);
    }

    [Fact]
    public void Close_ends_a_response_delimited_by_the_connection_and_forgets_the_socket()
    {
        Data(sock: 3, tid: 50, Direction.Egress, seq: 1, "GET /old HTTP/1.0\r\n\r\n");
        Data(sock: 3, tid: 50, Direction.Ingress, seq: 1, "HTTP/1.0 200 OK\r\n\r\nbody until close");
        Assert.Empty(_exchanges);

        Record(new EventHeader { Kind = EventKind.Close, Pid = Pid, Tid = 50, Sock = 3, TsEnter = Tick(), TsExit = _clock }, []);

        Assert.Equal(16, Assert.Single(_exchanges).Response.BodySize);
        Assert.Equal(0, _tracker.ConnectionCount);
    }

    [Fact]
    public void Response_without_a_request_is_counted_as_orphan()
    {
        Data(sock: 4, tid: 60, Direction.Ingress, seq: 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");

        Assert.Empty(_exchanges);
        Assert.Equal(1, _tracker.OrphanResponses);
    }

    [Fact]
    public void Idle_connections_are_swept()
    {
        Data(sock: 5, tid: 70, Direction.Egress, seq: 1, "GET / HTTP/1.1\r\n\r\n");
        Assert.Equal(1, _tracker.ConnectionCount);

        _tracker.Sweep(_clock + 10_000_000_000, connectionIdleNs: 5_000_000_000);

        Assert.Equal(0, _tracker.ConnectionCount);
    }

    /// <summary>A TLS 1.3 application-data record carrying <paramref name="plaintext"/> bytes (AEAD adds 17).</summary>
    private static string TlsRecord(int plaintext)
    {
        int length = plaintext + 17;
        return "\x17\x03\x03" + (char)(length >> 8) + (char)(length & 0xff) + new string('\xaa', length);
    }

    /// <summary>A handshake record whose body is distinct per <paramref name="fill"/> (stands in for the random).</summary>
    private static string Handshake(int length, byte fill)
    {
        var body = new char[length];
        for (int i = 0; i < length; i++)
        {
            body[i] = (char)((fill + (i * 7)) & 0xff);
        }

        return "\x16\x03\x03" + (char)(length >> 8) + (char)(length & 0xff) + new string(body);
    }

    private ulong Tick() => _clock += 1000;

    private void TlsOut(ulong ssl, uint tid, string ciphertext)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(ciphertext);
        int captured = Math.Min(bytes.Length, 32);
        Record(new EventHeader
        {
            Kind = EventKind.TlsOut,
            Pid = Pid,
            Tid = tid,
            Sock = ssl,
            Direction = Direction.Egress,
            TsEnter = Tick(),
            TsExit = _clock,
            Ret = bytes.Length,
            Captured = (uint)captured,
        }, bytes[..captured]);
    }

    private void Data(ulong sock, uint tid, Direction direction, uint seq, string payload, uint pid = Pid)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(payload);
        Record(new EventHeader
        {
            Kind = EventKind.Data,
            Pid = pid,
            Tid = tid,
            Sock = sock,
            Seq = seq,
            Direction = direction,
            TsEnter = Tick(),
            TsExit = Tick(),
            Ret = bytes.Length,
            Captured = (uint)bytes.Length,
            Family = 2,
            LocalPort = 1234,
            RemotePort = 80,
        }, bytes);
    }

    private void Ssl(ulong ssl, uint tid, Direction direction, string payload, ulong? enter = null)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(payload);
        Record(new EventHeader
        {
            Kind = EventKind.Ssl,
            Pid = Pid,
            Tid = tid,
            Sock = ssl,
            Direction = direction,
            TsEnter = enter ?? Tick(),
            TsExit = Tick(),
            Ret = bytes.Length,
            Captured = (uint)bytes.Length,
        }, bytes);
    }

    private void Record(EventHeader header, byte[] payload) => _tracker.OnRecord(header, payload);
}
