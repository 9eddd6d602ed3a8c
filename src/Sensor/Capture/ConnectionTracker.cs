using System.Buffers;

using TraceLink.Sensor.Http;
using TraceLink.Sensor.Native;

namespace TraceLink.Sensor.Capture;

/// <summary>
/// Turns ring-buffer records into HTTP exchanges: keeps one <see cref="Connection"/> per socket,
/// carries the per-thread syscall trace id, and ties libssl plaintext records to the socket whose
/// ciphertext the same thread moved. Single-threaded: only the ring-buffer reader calls it.
/// </summary>
internal sealed class ConnectionTracker
{
    /// <summary>How far apart an SSL call and the socket call of the same thread may be to be tied.</summary>
    private const ulong SslLinkWindowNs = 2_000_000_000;
    private const ulong ThreadIdleNs = 60_000_000_000;
    private const int MaxPendingSslWrites = 256;
    private const int MaxPendingTlsOut = 256;
    private const int MinTlsOutBytes = 16;

    private readonly Dictionary<ConnectionKey, Connection> _connections = [];
    private readonly Dictionary<ulong, ThreadState> _threads = [];
    private readonly Dictionary<ConnectionKey, Connection> _sslObjects = [];
    private readonly List<PendingSslWrite> _pendingSsl = [];
    private readonly List<PendingSslWrite> _heldSslReads = [];
    private readonly List<PendingTlsOut> _pendingTlsOut = [];
    private readonly HttpParserLimits _limits;
    private readonly Action<HttpExchange> _onExchange;
    private readonly long _monotonicToUnixNs;
    private readonly int _maxConnections;
    private ulong _nextSyscallTraceId;

    /// <param name="limits">Parser bounds for every connection.</param>
    /// <param name="onExchange">Receives each paired request and response.</param>
    /// <param name="monotonicToUnixNs">Added to the kernel's CLOCK_MONOTONIC stamps to get Unix time.</param>
    /// <param name="maxConnections">Connections tracked at once; the least recently used go first.</param>
    public ConnectionTracker(HttpParserLimits limits, Action<HttpExchange> onExchange, long monotonicToUnixNs, int maxConnections = 65536)
    {
        _limits = limits;
        _onExchange = onExchange;
        _monotonicToUnixNs = monotonicToUnixNs;
        _maxConnections = maxConnections;
    }

    public int ConnectionCount => _connections.Count;

    /// <summary>Messages of every connection's parsers; whoever consumes an exchange may return its two messages here.</summary>
    public HttpMessagePool MessagePool { get; } = new();

    public long OrphanResponses { get; set; }

    public long UnansweredRequests { get; set; }

    public long UnlinkedSslRecords { get; private set; }

    public long Exchanges { get; private set; }

    /// <summary>Malformed HTTP messages on connections closed or evicted so far plus those still open.</summary>
    public long ParseErrors
    {
        get
        {
            long total = _closedParseErrors;
            foreach (var connection in _connections.Values)
            {
                total += connection.Egress.Malformed + connection.Ingress.Malformed;
            }

            return total;
        }
    }

    private long _closedParseErrors;

    /// <summary>Processes one record; <paramref name="payload"/> holds its captured bytes.</summary>
    public void OnRecord(in EventHeader header, ReadOnlySpan<byte> payload)
    {
        switch (header.Kind)
        {
            case EventKind.Data:
                OnData(header, payload);
                break;
            case EventKind.Ssl:
                OnSsl(header, payload);
                break;
            case EventKind.TlsOut:
                OnTlsOut(header, payload);
                break;
            case EventKind.Connect:
            case EventKind.Accept:
                var key = new ConnectionKey(header.Pid, header.Sock);
                Remove(key, header.TsExit);
                GetOrAdd(key, header);
                break;
            case EventKind.Close:
                Remove(new ConnectionKey(header.Pid, header.Sock), header.TsExit);
                break;
        }
    }

    /// <summary>Drops state of threads and connections that have been quiet for a long time.</summary>
    public void Sweep(ulong nowMonotonicNs, ulong connectionIdleNs)
    {
        List<ConnectionKey>? idle = null;
        foreach (var (key, connection) in _connections)
        {
            if (nowMonotonicNs - connection.LastSeen > connectionIdleNs)
            {
                (idle ??= []).Add(key);
            }
        }

        if (idle is not null)
        {
            foreach (var key in idle)
            {
                Remove(key, nowMonotonicNs);
            }
        }

        while (_pendingSsl.Count > 0 && nowMonotonicNs - _pendingSsl[0].Header.TsEnter > SslLinkWindowNs)
        {
            FeedPendingToKnown(_pendingSsl[0], 0);
            _pendingSsl[0].Release();
            _pendingSsl.RemoveAt(0);
        }

        int expired = 0;
        while (expired < _pendingTlsOut.Count && nowMonotonicNs - _pendingTlsOut[expired].Ts > SslLinkWindowNs)
        {
            expired++;
        }

        _pendingTlsOut.RemoveRange(0, expired);

        while (_heldSslReads.Count > 0 && nowMonotonicNs - _heldSslReads[0].Header.TsEnter > SslLinkWindowNs)
        {
            _heldSslReads[0].Release();
            _heldSslReads.RemoveAt(0);
            UnlinkedSslRecords++;
        }

        List<ulong>? quiet = null;
        foreach (var (key, thread) in _threads)
        {
            if (nowMonotonicNs - thread.LastSeen > ThreadIdleNs)
            {
                (quiet ??= []).Add(key);
            }
        }

        if (quiet is not null)
        {
            foreach (var key in quiet)
            {
                _threads.Remove(key);
            }
        }
    }

    internal void Emit(HttpExchange exchange)
    {
        Exchanges++;
        _onExchange(exchange);
    }

    private void OnData(in EventHeader header, ReadOnlySpan<byte> payload)
    {
        var connection = GetOrAdd(new ConnectionKey(header.Pid, header.Sock), header);
        var thread = Thread(header);
        ulong traceId = thread.Advance(header.Direction, ref _nextSyscallTraceId);
        if (header.Direction == Direction.Ingress)
        {
            thread.LastIngress = connection;
            thread.LastIngressTs = header.TsExit;
            connection.IngressRecords.Scan(payload, header.Seq);
        }
        else
        {
            thread.LastEgress = connection;
            thread.LastEgressTsEnter = header.TsEnter;
            connection.EgressRecords.Scan(payload, header.Seq);
            if (_pendingTlsOut.Count > 0)
            {
                MatchTlsOut(header.Pid, connection, payload);
            }

            if (_pendingSsl.Count > 0)
            {
                ResolvePendingSslWrites(header, connection, connection.EgressRecords, traceId);
            }
        }

        if (connection.IsTls)
        {
            return; // ciphertext: the plaintext comes from the SSL records
        }

        var segment = Segment(header, traceId);
        var parser = connection.Parser(header.Direction);
        parser.Feed(payload, segment);
        parser.Skip(header.Ret - payload.Length, segment);
    }

    /// <summary>
    /// A runtime that encrypts into memory (.NET SslStream) sends the ciphertext after SSL_write returns,
    /// on the same thread or, after an await, on another: the plaintext of this socket's SSL object (or,
    /// while the object is still unknown, of this thread) is fed now, in order; the first starts at this send.
    /// </summary>
    private void ResolvePendingSslWrites(in EventHeader send, Connection connection, TlsRecordIndex records, ulong traceId)
    {
        for (int i = 0; i < _pendingSsl.Count;)
        {
            var pending = _pendingSsl[i];
            _sslObjects.TryGetValue(new ConnectionKey(pending.Header.Pid, pending.Header.Sock), out var known);
            uint seq = 0;
            bool mine = pending.Header.Pid == send.Pid && send.TsEnter - pending.Header.TsEnter < SslLinkWindowNs
                && ((known == connection && (seq = records.Take(pending.Header.Ret)) == seq)
                    || (known is null && pending.Header.Tid == send.Tid && records.TryMatch(pending.Header.Ret, out seq)));
            if (!mine)
            {
                i++;
                continue;
            }

            LinkSsl(send.Pid, pending.Header.Sock, connection);
            FeedPlaintext(connection, pending.Header, pending.Payload, seq, traceId);
            pending.Release();
            _pendingSsl.RemoveAt(i);
        }
    }

    /// <summary>
    /// The first ciphertext an SSL object wrote (its handshake): the socket whose send carries these bytes
    /// is the object's socket. Exact where the thread rules guess: .NET encrypts on one thread and may send
    /// on another, and a process can be both client and server.
    /// </summary>
    private void OnTlsOut(in EventHeader header, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < MinTlsOutBytes)
        {
            return;
        }

        if (_pendingTlsOut.Count >= MaxPendingTlsOut)
        {
            _pendingTlsOut.RemoveAt(0);
        }

        _pendingTlsOut.Add(new PendingTlsOut(header.Pid, header.Sock, header.TsEnter, payload));
    }

    private void MatchTlsOut(uint pid, Connection connection, ReadOnlySpan<byte> sent)
    {
        for (int i = 0; i < _pendingTlsOut.Count;)
        {
            var pending = _pendingTlsOut[i];
            if (pending.Pid != pid || !pending.FoundIn(sent))
            {
                i++;
                continue;
            }

            LinkSsl(pid, pending.Ssl, connection);
            _pendingTlsOut.RemoveAt(i);
        }
    }

    private void OnSsl(in EventHeader header, ReadOnlySpan<byte> payload)
    {
        var thread = Thread(header);
        var sslKey = new ConnectionKey(header.Pid, header.Sock);
        _sslObjects.TryGetValue(sslKey, out var known);
        if (header.Direction == Direction.Ingress)
        {
            // a known object decrypts what its socket received; an unknown one is tied to the socket this
            // thread just read, if that read carried a TLS record of the right size (client and server may
            // share a process, so the thread alone is not proof)
            if (known is not null)
            {
                FeedPlaintext(known, header, payload, known.IngressRecords.Take(header.Ret), thread.TraceId);
                return;
            }

            if (thread.LastIngress is { Removed: false } last && header.TsExit - thread.LastIngressTs < SslLinkWindowNs
                && last.IngressRecords.TryMatch(header.Ret, out uint seq))
            {
                LinkSsl(header.Pid, header.Sock, last);
                FeedPlaintext(last, header, payload, seq, thread.TraceId);
                return;
            }

            // e.g. .NET decrypting bytes it buffered during the handshake: wait until the object is tied
            HoldSslRead(header, payload);
            return;
        }

        // SSL_write: native OpenSSL wrote the ciphertext inside the call, on this thread
        if (thread.LastEgress is { Removed: false } nested && thread.LastEgressTsEnter >= header.TsEnter
            && (known is null || known == nested) && nested.EgressRecords.TryMatch(header.Ret, out uint sent))
        {
            LinkSsl(header.Pid, header.Sock, nested);
            FeedPlaintext(nested, header, payload, sent, thread.TraceId);
            return;
        }

        // otherwise the ciphertext follows: hold the plaintext until that send
        if (_pendingSsl.Count >= MaxPendingSslWrites)
        {
            FeedPendingToKnown(_pendingSsl[0], thread.TraceId);
            _pendingSsl[0].Release();
            _pendingSsl.RemoveAt(0);
        }

        _pendingSsl.Add(new PendingSslWrite(header, payload));
    }

    private void FeedPendingToKnown(PendingSslWrite pending, ulong traceId)
    {
        if (_sslObjects.TryGetValue(new ConnectionKey(pending.Header.Pid, pending.Header.Sock), out var connection) && !connection.Removed)
        {
            FeedPlaintext(connection, pending.Header, pending.Payload, 0, traceId);
        }
        else
        {
            UnlinkedSslRecords++;
        }
    }

    private void FeedPlaintext(Connection connection, in EventHeader header, ReadOnlySpan<byte> payload, uint seq, ulong traceId)
    {
        connection.LastSeen = header.TsExit;
        var segment = Segment(header, traceId) with { Seq = seq };
        var parser = connection.Parser(header.Direction);
        parser.Feed(payload, segment);
        parser.Skip(header.Ret - payload.Length, segment);
    }

    private void LinkSsl(uint pid, ulong sslObject, Connection connection)
    {
        if (!connection.IsTls)
        {
            // bytes parsed so far were ciphertext (or the handshake): start clean
            connection.Close(0);
            connection.IsTls = true;
        }

        if (connection.SslObject != sslObject)
        {
            if (connection.SslObject != 0)
            {
                _sslObjects.Remove(new ConnectionKey(pid, connection.SslObject));
            }

            connection.SslObject = sslObject;
            _sslObjects[new ConnectionKey(pid, sslObject)] = connection;
            FeedHeldSslReads(pid, sslObject, connection);
        }
    }

    private void HoldSslRead(in EventHeader header, ReadOnlySpan<byte> payload)
    {
        if (_heldSslReads.Count >= MaxPendingSslWrites)
        {
            _heldSslReads[0].Release();
            _heldSslReads.RemoveAt(0);
            UnlinkedSslRecords++;
        }

        _heldSslReads.Add(new PendingSslWrite(header, payload));
    }

    private void FeedHeldSslReads(uint pid, ulong sslObject, Connection connection)
    {
        for (int i = 0; i < _heldSslReads.Count;)
        {
            var held = _heldSslReads[i];
            if (held.Header.Pid != pid || held.Header.Sock != sslObject)
            {
                i++;
                continue;
            }

            FeedPlaintext(connection, held.Header, held.Payload, connection.IngressRecords.Take(held.Header.Ret), 0);
            held.Release();
            _heldSslReads.RemoveAt(i);
        }
    }

    private SegmentInfo Segment(in EventHeader header, ulong traceId)
    {
        // a send starts moving bytes at entry; a receive has its bytes only at exit
        ulong start = header.Direction == Direction.Egress ? header.TsEnter : header.TsExit;
        return new SegmentInfo(header.Seq, ToUnix(start), ToUnix(header.TsExit), header.Tid, traceId);
    }

    private ulong ToUnix(ulong monotonicNs) => (ulong)((long)monotonicNs + _monotonicToUnixNs);

    private ThreadState Thread(in EventHeader header)
    {
        ulong key = ((ulong)header.Pid << 32) | header.Tid;
        if (!_threads.TryGetValue(key, out var thread))
        {
            thread = new ThreadState();
            _threads[key] = thread;
        }

        thread.LastSeen = header.TsExit;
        return thread;
    }

    private Connection GetOrAdd(ConnectionKey key, in EventHeader header)
    {
        if (!_connections.TryGetValue(key, out var connection))
        {
            if (_connections.Count >= _maxConnections)
            {
                EvictOldest(header.TsExit);
            }

            connection = new Connection(this, key, header, _limits);
            _connections[key] = connection;
        }

        connection.LastSeen = header.TsExit;
        return connection;
    }

    private void EvictOldest(ulong now)
    {
        ConnectionKey oldest = default;
        ulong oldestSeen = ulong.MaxValue;
        foreach (var (key, connection) in _connections)
        {
            if (connection.LastSeen < oldestSeen)
            {
                oldestSeen = connection.LastSeen;
                oldest = key;
            }
        }

        Remove(oldest, now);
    }

    private void Remove(ConnectionKey key, ulong timestamp)
    {
        if (!_connections.Remove(key, out var connection))
        {
            return;
        }

        connection.Close(ToUnix(timestamp));
        _closedParseErrors += connection.Egress.Malformed + connection.Ingress.Malformed;
        if (connection.SslObject != 0)
        {
            _sslObjects.Remove(new ConnectionKey(key.Pid, connection.SslObject));
        }

        connection.Removed = true;
    }

    private sealed class ThreadState
    {
        private const byte NoDirection = 0xff;
        private byte _lastDirection = NoDirection;

        public ulong TraceId { get; private set; }

        public ulong LastSeen { get; set; }

        public Connection? LastIngress { get; set; }

        public ulong LastIngressTs { get; set; }

        public Connection? LastEgress { get; set; }

        public ulong LastEgressTsEnter { get; set; }

        /// <summary>DeepFlow's rule: an inbound read after outbound activity starts a new syscall trace id.</summary>
        public ulong Advance(Direction direction, ref ulong counter)
        {
            if ((direction == Direction.Ingress && _lastDirection != (byte)Direction.Ingress) || _lastDirection == NoDirection)
            {
                TraceId = ++counter;
            }

            _lastDirection = (byte)direction;
            return TraceId;
        }
    }

    /// <summary>Leading ciphertext bytes of one TLS record an SSL object wrote, kept inline (no allocation).</summary>
    private struct PendingTlsOut
    {
        private TlsOutBytes _bytes;
        private readonly int _length;

        public PendingTlsOut(uint pid, ulong ssl, ulong ts, ReadOnlySpan<byte> payload)
        {
            Pid = pid;
            Ssl = ssl;
            Ts = ts;
            _length = Math.Min(payload.Length, TlsOutBytes.Length);
            payload[.._length].CopyTo(_bytes);
        }

        public uint Pid { get; }

        public ulong Ssl { get; }

        public ulong Ts { get; }

        /// <summary>
        /// True when <paramref name="sent"/> starts with these ciphertext bytes: a record written to a socket BIO is one
        /// send, and a runtime that drains a memory BIO sends what it drained from the start. Comparing at offset 0 only
        /// keeps the cost per pending record constant on hosts with much TLS traffic outside the traced ports.
        /// </summary>
        public readonly bool FoundIn(ReadOnlySpan<byte> sent) => sent.StartsWith(((ReadOnlySpan<byte>)_bytes)[.._length]);
    }

    [System.Runtime.CompilerServices.InlineArray(Length)]
    private struct TlsOutBytes
    {
        public const int Length = 32;
        private byte _first;
    }

    private sealed class PendingSslWrite
    {
        private byte[]? _buffer;
        private readonly int _length;

        public PendingSslWrite(in EventHeader header, ReadOnlySpan<byte> payload)
        {
            Header = header;
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
            payload.CopyTo(_buffer);
            _length = payload.Length;
        }

        public EventHeader Header { get; }

        public ReadOnlySpan<byte> Payload => _buffer.AsSpan(0, _length);

        public void Release()
        {
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }
        }
    }
}
