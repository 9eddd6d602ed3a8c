using System.Net;

using TraceLink.Sensor.Http;
using TraceLink.Sensor.Native;

namespace TraceLink.Sensor.Capture;

/// <summary>Per-socket state: identity, one HTTP parser per direction and the requests awaiting responses.</summary>
internal sealed class Connection
{
    private const int MaxPendingRequests = 128;
    private readonly Queue<(HttpMessage Request, bool IsClient)> _pending = new();
    private readonly ConnectionTracker _tracker;

    public unsafe Connection(ConnectionTracker tracker, ConnectionKey key, in EventHeader header, HttpParserLimits limits)
    {
        _tracker = tracker;
        Key = key;
        Fd = header.Fd;
        LocalPort = header.LocalPort;
        RemotePort = header.RemotePort;
        fixed (byte* local = header.LocalAddress)
        fixed (byte* remote = header.RemoteAddress)
        {
            LocalAddress = ToAddress(header.Family, new ReadOnlySpan<byte>(local, 16));
            RemoteAddress = ToAddress(header.Family, new ReadOnlySpan<byte>(remote, 16));
        }

        Egress = new HttpStreamParser(limits, new Sink(this, isClientSide: true), tracker.MessagePool);
        Ingress = new HttpStreamParser(limits, new Sink(this, isClientSide: false), tracker.MessagePool);
    }

    public ConnectionKey Key { get; }

    public uint Pid => Key.Pid;

    public uint Fd { get; }

    public IPAddress LocalAddress { get; }

    public ushort LocalPort { get; }

    public IPAddress RemoteAddress { get; }

    public ushort RemotePort { get; }

    /// <summary>Set once an SSL_read/SSL_write was tied to this socket: its raw bytes are ciphertext.</summary>
    public bool IsTls { get; set; }

    /// <summary>Set when the tracker dropped this connection (closed or evicted).</summary>
    public bool Removed { get; set; }

    /// <summary>The SSL object tied to this socket, if any.</summary>
    public ulong SslObject { get; set; }

    /// <summary>TLS records of the last receive, to give each SSL_read the sequence of its own record.</summary>
    public TlsRecordIndex IngressRecords { get; } = new();

    /// <summary>TLS records of the last send (a server's first send may start with session tickets).</summary>
    public TlsRecordIndex EgressRecords { get; } = new();

    /// <summary>The encoded span attributes of this socket's endpoints and process, written by the span factory on first use and copied into its spans.</summary>
    public byte[]? EndpointAttributes { get; set; }

    /// <summary>Monotonic ns of the last record seen.</summary>
    public ulong LastSeen { get; set; }

    /// <summary>Parser of the bytes this process sent.</summary>
    public HttpStreamParser Egress { get; }

    /// <summary>Parser of the bytes this process received.</summary>
    public HttpStreamParser Ingress { get; }

    public HttpStreamParser Parser(Direction direction) => direction == Direction.Egress ? Egress : Ingress;

    public void Close(ulong timestamp)
    {
        Egress.Close(timestamp);
        Ingress.Close(timestamp);
        _pending.Clear();
    }

    private void OnMessage(HttpMessage message, bool sentByThisProcess)
    {
        if (message.IsRequest)
        {
            if (_pending.Count >= MaxPendingRequests)
            {
                _pending.Dequeue();
                _tracker.UnansweredRequests++;
            }

            _pending.Enqueue((message, sentByThisProcess));
            return;
        }

        if (!_pending.TryDequeue(out var request))
        {
            _tracker.OrphanResponses++;
            return;
        }

        _tracker.Emit(new HttpExchange(request.Request, message, this, request.IsClient));
    }

    private bool NextResponseIsForHead() =>
        _pending.TryPeek(out var request) && string.Equals(request.Request.Method, "HEAD", StringComparison.Ordinal);

    private static IPAddress ToAddress(ushort family, ReadOnlySpan<byte> bytes)
    {
        const ushort AfInet = 2;
        var address = family == AfInet ? new IPAddress(bytes[..4]) : new IPAddress(bytes);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    private sealed class Sink(Connection connection, bool isClientSide) : IHttpMessageSink
    {
        public bool NextResponseIsForHead() => connection.NextResponseIsForHead();

        public void OnMessage(HttpMessage message) => connection.OnMessage(message, isClientSide);
    }
}
