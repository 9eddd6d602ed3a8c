using System.Buffers.Binary;

using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;

namespace TraceLink.Storage.Tests.Assembly.Scenarios;

/// <summary>
/// Simulates a small microservice estate under load and emits what the sensor and the SDKs would export,
/// with ground truth. Store-agnostic: the output is OTLP requests; spans carry <see cref="GidAttribute"/> only
/// so a test can map stored spans back to the truth. Sync servers follow DeepFlow's kernel syscall-id rule
/// (ingress mints, egress stamps and clears), so a thread's calls chain; thread pools are reused; keep-alive
/// connections carry many requests with growing tcp seqs; hosts have clock skew.
/// </summary>
internal static class ScenarioGenerator
{
    public const string GidAttribute = "test.gid";
    private const long BaseTime = 1_750_000_000_000_000_000;
    private const long Us = 1_000;

    public static Scenario Generate(ScenarioOptions options)
    {
        var sim = new Simulation(options);
        sim.Run();
        return sim.Result();
    }

    private sealed class Host(string name, string ip, long skew)
    {
        public string Name { get; } = name;
        public string Ip { get; } = ip;
        public long Skew { get; } = skew;

        // Every host's counter starts at the same value, so equal syscall ids on different hosts are common.
        public long SyscallCounter { get; set; } = 1_000_000;
    }

    private sealed class Service(string name, ServiceKind kind, Host host, int pid, int port)
    {
        public string Name { get; } = name;
        public ServiceKind Kind { get; } = kind;
        public Host Host { get; } = host;
        public int Pid { get; } = pid;
        public int Port { get; } = port;
        public List<long> ThreadBusyUntil { get; } = [];
        public Resource Resource { get; } = new()
        {
            Attributes =
            {
                Attr(SpanAttributeNames.ServiceName, name),
                Attr("host.name", host.Name),
                Attr(SpanAttributeNames.ProcessPid, pid),
            },
        };

        public bool IsSdk => Kind is ServiceKind.Sdk or ServiceKind.LoadGenerator;

        public bool SyscallIds => Kind is ServiceKind.Sdk or ServiceKind.Plain or ServiceKind.Terminal;

    }

    private sealed class Connection(string clientIp, int clientPort, string serverIp, int serverPort, long seqC, long seqS)
    {
        public string ClientIp { get; } = clientIp;
        public int ClientPort { get; } = clientPort;
        public string ServerIp { get; } = serverIp;
        public int ServerPort { get; } = serverPort;
        public long SeqC { get; set; } = seqC;
        public long SeqS { get; set; } = seqS;
        public long BusyUntil { get; set; }
    }

    private sealed class Hop
    {
        public required int Trace { get; init; }
        public required Service? Client { get; init; }
        public required Service Server { get; init; }
        public required Hop? Parent { get; init; }
        public long TSend { get; set; }
        public long TRecv { get; set; }
        public long TRespSend { get; set; }
        public long TRespRecv { get; set; }
        public List<Hop> Children { get; } = [];

        // Headers of the request as sent.
        public byte[]? TraceId { get; set; }
        public ulong HeaderParent { get; set; }
        public string Xrid { get; set; } = string.Empty;

        // What the server did.
        public byte[]? ServerTraceId { get; set; }
        public ulong ServerAppSpanId { get; set; }
        public ulong ClientAppSpanId { get; set; }
        public string ProxyXrid { get; set; } = string.Empty;
        public int ServerThread { get; set; }
        public int ClientThread { get; set; }
        public Connection? Connection { get; set; }
        public long ReqSeq { get; set; }
        public long RespSeq { get; set; }
        public long ServerSysReq { get; set; }
        public long ServerSysResp { get; set; }
        public long ClientSysReq { get; set; }
        public long ClientSysResp { get; set; }
        public int ReqBytes { get; set; }
        public int RespBytes { get; set; }
    }

    private sealed class Simulation(ScenarioOptions options)
    {
        private readonly Random _random = new(options.Seed);
        private readonly List<Hop> _hops = [];
        private readonly List<(int Trace, Hop Entry, byte[]? TraceId)> _entries = [];
        private readonly Dictionary<string, Service> _services = [];
        private readonly List<(long EmitAt, ResourceSpans Spans)> _emitted = [];
        private readonly Dictionary<int, int> _trueParent = [];
        private readonly Dictionary<int, int> _traceOf = [];
        private readonly List<List<int>> _traceGids = [];
        private readonly List<int> _rootGids = [];
        private int _nextGid = 1;
        private int _nextPort = 30_000;

        public void Run()
        {
            BuildEstate();
            for (var trace = 0; trace < options.Traces; trace++)
            {
                _traceGids.Add([]);
                _rootGids.Add(0);
                var start = BaseTime + (long)(_random.NextDouble() * options.StartWindow.Ticks * 100);
                var pick = _random.NextDouble();
                Hop entry;
                if (pick < 0.3)
                {
                    var traceId = RandomTraceId();
                    var clientApp = RandomSpanId();
                    entry = BuildHop(trace, _services["loadgen"], _services["web"], null, start, traceId, clientApp, string.Empty);
                    entry.ClientAppSpanId = clientApp;
                }
                else if (pick < 0.6)
                {
                    entry = BuildHop(trace, null, _services["web"], null, start, null, 0, string.Empty);
                }
                else if (pick < 0.8)
                {
                    entry = BuildHop(trace, null, _services["gw"], null, start, null, 0, string.Empty);
                }
                else
                {
                    entry = BuildHop(trace, null, _services["api"], null, start, null, 0, string.Empty);
                }

                _entries.Add((trace, entry, FirstTraceId(entry)));
            }

            AssignThreads();
            AssignConnections();
            AssignSyscallIds();
            foreach (var (_, entry, _) in _entries)
            {
                EmitSpans(entry, parentClientGid: 0, parentServerGid: 0, parentServerAppGid: 0);
            }
        }

        public Scenario Result()
        {
            _emitted.Sort((a, b) => a.EmitAt.CompareTo(b.EmitAt));
            var batches = new List<ExportTraceServiceRequest>();
            ExportTraceServiceRequest? batch = null;
            foreach (var (_, spans) in _emitted)
            {
                if (batch is null || batch.ResourceSpans.Count == 256)
                {
                    batch = new ExportTraceServiceRequest();
                    batches.Add(batch);
                }

                batch.ResourceSpans.Add(spans);
            }

            var traces = new List<ScenarioTrace>();
            foreach (var (trace, _, traceId) in _entries)
            {
                traces.Add(new ScenarioTrace(trace, traceId, _rootGids[trace], _traceGids[trace]));
            }

            return new Scenario { Batches = batches, TrueParent = _trueParent, TraceOf = _traceOf, Traces = traces };
        }

        private void BuildEstate()
        {
            var skew = options.MaxClockSkew.Ticks * 100;
            var hosts = new List<Host>();
            for (var i = 0; i < 10; i++)
            {
                hosts.Add(new Host($"node-{i}", $"10.0.0.{10 + i}", (long)((_random.NextDouble() * 2 - 1) * skew)));
            }

            // Pids repeat across hosts on purpose: thread and syscall joins must stay inside one host.
            void Add(string name, ServiceKind kind, int host, int pid) => _services[name] = new Service(name, kind, hosts[host], pid, 8000 + _services.Count);
            Add("loadgen", ServiceKind.LoadGenerator, 0, 1000);
            Add("web", ServiceKind.Sdk, 1, 1000);
            Add("gw", ServiceKind.Proxy, 2, 1000);
            Add("orders", ServiceKind.Sdk, 3, 1000);
            Add("inventory", ServiceKind.Sdk, 4, 1000);
            Add("payments", ServiceKind.Plain, 3, 1001);
            Add("gw2", ServiceKind.Proxy, 5, 1000);
            Add("bank", ServiceKind.Terminal, 6, 1000);
            Add("api", ServiceKind.Plain, 7, 1000);
            Add("auth", ServiceKind.PlainNoSyscall, 8, 1000);
            Add("users", ServiceKind.Terminal, 9, 1000);
            Add("db", ServiceKind.Terminal, 9, 1001);
            Add("cache", ServiceKind.Terminal, 6, 1001);
            Add("notify", ServiceKind.AsyncApp, 5, 1001);
        }

        private List<Service> Downstream(Service service)
        {
            var calls = new List<Service>();
            switch (service.Name)
            {
                case "web":
                    for (var i = _random.Next(1, 3); i > 0; i--)
                    {
                        calls.Add(_services["gw"]);
                    }

                    break;
                case "gw":
                    calls.Add(_services[_random.Next(2) == 0 ? "orders" : "api"]);
                    break;
                case "orders":
                    calls.Add(_services["inventory"]);
                    if (_random.NextDouble() < 0.7)
                    {
                        calls.Add(_services["payments"]);
                    }

                    if (_random.NextDouble() < options.EventLoopAppCallRate)
                    {
                        calls.Add(_services["notify"]);
                    }

                    break;
                case "inventory":
                    for (var i = _random.Next(1, 3); i > 0; i--)
                    {
                        calls.Add(_services["db"]);
                    }

                    break;
                case "payments":
                    calls.Add(_services["gw2"]);
                    break;
                case "gw2":
                    calls.Add(_services["bank"]);
                    break;
                case "api":
                    string[] choices = ["db", "cache", "auth"];
                    for (var i = _random.Next(1, 4); i > 0; i--)
                    {
                        calls.Add(_services[choices[_random.Next(choices.Length)]]);
                    }

                    break;
                case "auth":
                    calls.Add(_services["users"]);
                    break;
                case "notify":
                    for (var i = _random.Next(1, 3); i > 0; i--)
                    {
                        calls.Add(_services["cache"]);
                    }

                    break;
                default:
                    break;
            }

            return calls;
        }

        private Hop BuildHop(int trace, Service? client, Service server, Hop? parent, long tSend, byte[]? traceId, ulong headerParent, string xrid)
        {
            var hop = new Hop
            {
                Trace = trace,
                Client = client,
                Server = server,
                Parent = parent,
                TSend = tSend,
                TraceId = traceId,
                HeaderParent = headerParent,
                Xrid = xrid,
                ReqBytes = _random.Next(150, 2000),
                RespBytes = _random.Next(100, 8000),
            };
            _hops.Add(hop);
            hop.TRecv = tSend + Between(50 * Us, 500 * Us);
            if (server.Kind == ServiceKind.Sdk)
            {
                hop.ServerTraceId = traceId ?? RandomTraceId();
                hop.ServerAppSpanId = RandomSpanId();
            }

            if (server.Kind == ServiceKind.Proxy)
            {
                hop.ProxyXrid = xrid.Length > 0 ? xrid : Guid.NewGuid().ToString("N");
            }

            var cursor = hop.TRecv + (server.Kind == ServiceKind.Terminal ? Between(200 * Us, 5_000 * Us) : Between(100 * Us, 2_000 * Us));
            foreach (var downstream in Downstream(server))
            {
                var send = cursor + Between(10 * Us, 200 * Us);
                Hop child;
                switch (server.Kind)
                {
                    case ServiceKind.Sdk:
                        var clientApp = RandomSpanId();
                        child = BuildHop(trace, server, downstream, hop, send, hop.ServerTraceId, clientApp, string.Empty);
                        child.ClientAppSpanId = clientApp;
                        break;
                    case ServiceKind.Proxy:
                        // A proxy passes traceparent on unchanged and sends its X-Request-ID upstream.
                        child = BuildHop(trace, server, downstream, hop, send, traceId, headerParent, hop.ProxyXrid);
                        break;
                    default:
                        child = BuildHop(trace, server, downstream, hop, send, null, 0, string.Empty);
                        break;
                }

                hop.Children.Add(child);
                cursor = child.TRespRecv;
            }

            hop.TRespSend = cursor + Between(50 * Us, 500 * Us);
            hop.TRespRecv = hop.TRespSend + Between(50 * Us, 500 * Us);
            return hop;
        }

        private void AssignThreads()
        {
            _hops.Sort((a, b) => a.TRecv.CompareTo(b.TRecv));
            foreach (var hop in _hops)
            {
                var server = hop.Server;
                hop.ServerThread = server.Kind == ServiceKind.Proxy ? server.Pid + 1 + _random.Next(2)
                    : server.Kind == ServiceKind.AsyncApp ? server.Pid + 1
                    : Claim(server, hop.TRecv, hop.TRespSend);
                if (hop.Client is { Kind: ServiceKind.LoadGenerator } loadgen)
                {
                    hop.ClientThread = Claim(loadgen, hop.TSend, hop.TRespRecv);
                }
            }

            foreach (var hop in _hops)
            {
                if (hop.Client is null || hop.Client.Kind == ServiceKind.LoadGenerator)
                {
                    continue;
                }

                hop.ClientThread = hop.Client.Kind == ServiceKind.Proxy ? hop.Client.Pid + 1 + _random.Next(2)
                    : hop.Client.Kind == ServiceKind.AsyncApp ? hop.Client.Pid + 1
                    : hop.Parent!.ServerThread;
            }
        }

        private int Claim(Service service, long from, long until)
        {
            var pool = service.ThreadBusyUntil;
            while (pool.Count < options.ThreadPoolSize)
            {
                pool.Add(0);
            }

            var free = new List<int>();
            for (var i = 0; i < pool.Count; i++)
            {
                if (pool[i] <= from)
                {
                    free.Add(i);
                }
            }

            int chosen;
            if (free.Count == 0)
            {
                pool.Add(0);
                chosen = pool.Count - 1;
            }
            else
            {
                chosen = free[_random.Next(free.Count)];
            }

            pool[chosen] = until;
            return service.Pid + 1 + chosen;
        }

        private void AssignConnections()
        {
            var pools = new Dictionary<(string, string), List<Connection>>();
            var all = new List<Connection>();
            _hops.Sort((a, b) => a.TSend.CompareTo(b.TSend));
            foreach (var hop in _hops)
            {
                var clientIp = hop.Client?.Host.Ip ?? $"203.0.113.{_random.Next(1, 60)}";
                var poolKey = (hop.Client?.Name ?? clientIp, hop.Server.Name);
                if (!pools.TryGetValue(poolKey, out var pool))
                {
                    pool = [];
                    pools[poolKey] = pool;
                }

                Connection? connection = null;
                foreach (var candidate in pool)
                {
                    if (candidate.BusyUntil <= hop.TSend)
                    {
                        connection = candidate;
                        break;
                    }
                }

                if (connection is null)
                {
                    var (seqC, seqS) = all.Count > 0 && _random.NextDouble() < options.SeqCollisionRate
                        ? (all[_random.Next(all.Count)].SeqC, all[_random.Next(all.Count)].SeqS)
                        : ((long)(uint)_random.Next(), (long)(uint)_random.Next());
                    connection = new Connection(clientIp, _nextPort++, hop.Server.Host.Ip, hop.Server.Port, seqC, seqS);
                    pool.Add(connection);
                    all.Add(connection);
                }

                hop.Connection = connection;
                hop.ReqSeq = connection.SeqC;
                hop.RespSeq = connection.SeqS;
                connection.SeqC = (connection.SeqC + hop.ReqBytes) & 0xFFFF_FFFF;
                connection.SeqS = (connection.SeqS + hop.RespBytes) & 0xFFFF_FFFF;
                connection.BusyUntil = hop.TRespRecv;
            }
        }

        private void AssignSyscallIds()
        {
            foreach (var hop in _hops)
            {
                var server = hop.Server;
                if (server.SyscallIds)
                {
                    // Ingress mints an id; each egress stamps the current id and clears it; the next ingress mints again.
                    var current = ++server.Host.SyscallCounter;
                    hop.ServerSysReq = current;
                    foreach (var child in hop.Children)
                    {
                        child.ClientSysReq = current;
                        current = ++server.Host.SyscallCounter;
                        child.ClientSysResp = current;
                    }

                    hop.ServerSysResp = current;
                }

                if (hop.Client is { Kind: ServiceKind.LoadGenerator } loadgen)
                {
                    hop.ClientSysResp = ++loadgen.Host.SyscallCounter;
                }
            }

            SimulateEventLoopSyscallIds();
        }

        /// <summary>
        /// The kernel rule on a thread that interleaves requests: the id minted by the latest ingress is stamped on
        /// whatever that thread writes next, which may belong to another request.
        /// </summary>
        private void SimulateEventLoopSyscallIds()
        {
            var events = new List<(long Time, Service Service, int Thread, bool Ingress, Action<long> Set)>();
            foreach (var hop in _hops)
            {
                var current = hop;
                if (hop.Server.Kind == ServiceKind.AsyncApp)
                {
                    events.Add((hop.TRecv, hop.Server, hop.ServerThread, true, id => current.ServerSysReq = id));
                    events.Add((hop.TRespSend, hop.Server, hop.ServerThread, false, id => current.ServerSysResp = id));
                }

                if (hop.Client is { Kind: ServiceKind.AsyncApp } client)
                {
                    events.Add((hop.TSend, client, hop.ClientThread, false, id => current.ClientSysReq = id));
                    events.Add((hop.TRespRecv, client, hop.ClientThread, true, id => current.ClientSysResp = id));
                }
            }

            events.Sort((a, b) => a.Time.CompareTo(b.Time));
            var entries = new Dictionary<(string, int), long>();
            foreach (var (_, service, thread, ingress, set) in events)
            {
                var key = (service.Name, thread);
                if (ingress)
                {
                    var id = ++service.Host.SyscallCounter;
                    entries[key] = id;
                    set(id);
                }
                else if (entries.Remove(key, out var id))
                {
                    set(id);
                }
            }
        }

        private void EmitSpans(Hop hop, int parentClientGid, int parentServerGid, int parentServerAppGid)
        {
            var client = hop.Client;
            var server = hop.Server;
            var connection = hop.Connection!;
            var clientAppGid = 0;
            var clientGid = 0;
            if (client is not null && client.IsSdk)
            {
                clientAppGid = Emit(hop.Trace, client, parentServerAppGid, Sdk(hop.TraceId!, hop.ClientAppSpanId, client.Kind == ServiceKind.LoadGenerator ? 0 : hop.Parent!.ServerAppSpanId,
                    "call " + server.Name, Span.Types.SpanKind.Client, Local(client, hop.TSend - (20 * Us)), Local(client, hop.TRespRecv + (20 * Us))));
            }

            if (client is not null)
            {
                var span = Sensor(hop.TraceId, hop.HeaderParent, "c", "GET /" + server.Name, Span.Types.SpanKind.Client, Local(client, hop.TSend), Local(client, hop.TRespRecv));
                span.Attributes.Add(Attr(SpanAttributeNames.ThreadId, hop.ClientThread));
                AddTcp(span, hop, connection.ClientIp, connection.ClientPort, connection.ServerIp, connection.ServerPort);
                AddSyscall(span, hop.ClientSysReq, hop.ClientSysResp);
                AddXrid(span, hop.Xrid, string.Empty);
                clientGid = Emit(hop.Trace, client, clientAppGid != 0 ? clientAppGid : parentServerGid, span);
            }

            var serverSpan = Sensor(hop.TraceId, hop.HeaderParent, "s", "GET /" + server.Name, Span.Types.SpanKind.Server, Local(server, hop.TRecv), Local(server, hop.TRespSend));
            serverSpan.Attributes.Add(Attr(SpanAttributeNames.ThreadId, hop.ServerThread));
            AddTcp(serverSpan, hop, connection.ServerIp, connection.ServerPort, connection.ClientIp, connection.ClientPort);
            AddSyscall(serverSpan, hop.ServerSysReq, hop.ServerSysResp);
            AddXrid(serverSpan, hop.Xrid, hop.ProxyXrid);
            var serverGid = Emit(hop.Trace, server, clientGid, serverSpan);
            var serverAppGid = 0;
            if (server.Kind == ServiceKind.Sdk)
            {
                serverAppGid = Emit(hop.Trace, server, serverGid, Sdk(hop.ServerTraceId!, hop.ServerAppSpanId, hop.HeaderParent,
                    "handle " + server.Name, Span.Types.SpanKind.Server, Local(server, hop.TRecv + (20 * Us)), Local(server, hop.TRespSend - (20 * Us))));
            }

            foreach (var child in hop.Children)
            {
                EmitSpans(child, clientGid, serverGid, serverAppGid);
            }
        }

        private int Emit(int trace, Service service, int parentGid, Span span)
        {
            var gid = _nextGid++;
            span.Attributes.Add(Attr(GidAttribute, gid));
            _traceOf[gid] = trace;
            _traceGids[trace].Add(gid);
            if (parentGid != 0)
            {
                _trueParent[gid] = parentGid;
            }
            else if (_rootGids[trace] == 0)
            {
                _rootGids[trace] = gid;
            }

            var resourceSpans = new ResourceSpans { Resource = service.Resource, ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope { Name = service.IsSdk ? "sdk" : "tracelink.sensor" }, Spans = { span } } } };

            // Sensors and SDKs export when a span ends, after a batching delay.
            _emitted.Add(((long)span.EndTimeUnixNano + Between(0, 20_000 * Us), resourceSpans));
            return gid;
        }

        private static Span Sdk(byte[] traceId, ulong spanId, ulong parentId, string name, Span.Types.SpanKind kind, long start, long end)
        {
            var span = new Span
            {
                TraceId = ByteString.CopyFrom(traceId),
                SpanId = Id(spanId),
                Name = name,
                Kind = kind,
                StartTimeUnixNano = (ulong)start,
                EndTimeUnixNano = (ulong)end,
            };
            if (parentId != 0)
            {
                span.ParentSpanId = Id(parentId);
            }

            return span;
        }

        private static Span Sensor(byte[]? traceId, ulong headerParent, string tapSide, string name, Span.Types.SpanKind kind, long start, long end)
        {
            var span = new Span { Name = name, Kind = kind, StartTimeUnixNano = (ulong)start, EndTimeUnixNano = (ulong)end, Attributes = { Attr(SpanAttributeNames.TapSide, tapSide) } };
            if (traceId is not null)
            {
                // The sensor parsed a traceparent header: its trace id and parent-id (the sending SDK span).
                span.TraceId = ByteString.CopyFrom(traceId);
                span.ParentSpanId = Id(headerParent);
            }

            return span;
        }

        private static void AddTcp(Span span, Hop hop, string localIp, int localPort, string peerIp, int peerPort)
        {
            span.Attributes.Add(Attr(SpanAttributeNames.TcpReqSeq, hop.ReqSeq));
            span.Attributes.Add(Attr(SpanAttributeNames.TcpRespSeq, hop.RespSeq));
            span.Attributes.Add(Attr(SpanAttributeNames.LocalAddress, localIp));
            span.Attributes.Add(Attr(SpanAttributeNames.LocalPort, localPort));
            span.Attributes.Add(Attr(SpanAttributeNames.PeerAddress, peerIp));
            span.Attributes.Add(Attr(SpanAttributeNames.PeerPort, peerPort));
        }

        private static void AddSyscall(Span span, long request, long response)
        {
            if (request != 0)
            {
                span.Attributes.Add(Attr(SpanAttributeNames.SyscallTraceIdReq, request));
            }

            if (response != 0)
            {
                span.Attributes.Add(Attr(SpanAttributeNames.SyscallTraceIdResp, response));
            }
        }

        private static void AddXrid(Span span, string request, string response)
        {
            if (request.Length > 0)
            {
                span.Attributes.Add(Attr(SpanAttributeNames.XRequestIdReq, request));
            }

            if (response.Length > 0)
            {
                span.Attributes.Add(Attr(SpanAttributeNames.XRequestIdResp, response));
            }
        }

        private static byte[]? FirstTraceId(Hop entry) => entry.TraceId ?? entry.ServerTraceId ?? FirstChildTraceId(entry);

        private static byte[]? FirstChildTraceId(Hop hop)
        {
            foreach (var child in hop.Children)
            {
                var id = child.TraceId ?? child.ServerTraceId ?? FirstChildTraceId(child);
                if (id is not null)
                {
                    return id;
                }
            }

            return null;
        }

        private static long Local(Service service, long trueTime) => trueTime + service.Host.Skew;

        private long Between(long min, long max) => min + (long)(_random.NextDouble() * (max - min));

        private byte[] RandomTraceId()
        {
            var id = new byte[16];
            _random.NextBytes(id);
            return id;
        }

        private ulong RandomSpanId()
        {
            ulong id;
            do
            {
                id = (ulong)_random.NextInt64();
            }
            while (id == 0);
            return id;
        }

        private static ByteString Id(ulong id)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, id);
            return ByteString.CopyFrom(bytes);
        }
    }

    private static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Attr(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}
