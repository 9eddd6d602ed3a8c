namespace TraceLink.Storage.Assembly;

/// <summary>
/// Sets parents on a set of related spans in DeepFlow's order of trust: SDK ids; client→server on the
/// same tcp seq; server → outbound client of the same process by syscall trace id, X-Request-ID, then thread.
/// Spans already given a parent are never re-parented by a weaker rule.
/// </summary>
internal static class ParentResolver
{
    public static void Resolve(List<SpanFacts> spans, TraceAssemblerOptions options)
    {
        spans.Sort(static (x, y) => x.Start != y.Start ? x.Start.CompareTo(y.Start) : x.Locator.CompareTo(y.Locator));
        var sdkById = new Dictionary<ulong, SpanFacts>();
        var servers = new Dictionary<(string Host, long Pid), List<SpanFacts>>();
        var clientsByReqSeq = new Dictionary<long, List<SpanFacts>>();
        var clientsByRespSeq = new Dictionary<long, List<SpanFacts>>();
        var bySyscallId = new Dictionary<(string Host, long Pid, long Id), List<SpanFacts>>();
        foreach (var span in spans)
        {
            span.Parent = null;
            span.LinkKey = null;
            span.SyscallServer = null;
            if (span.IsSdk && span.HasOwnSpanId)
            {
                sdkById.TryAdd(span.SpanId, span);
            }

            if (span.Side == TapSide.Server && span.Pid >= 0)
            {
                Add(servers, (span.Host, span.Pid), span);
            }

            if (span.Side == TapSide.Client)
            {
                if (span.HasReqSeq)
                {
                    Add(clientsByReqSeq, span.ReqSeq, span);
                }

                if (span.HasRespSeq)
                {
                    Add(clientsByRespSeq, span.RespSeq, span);
                }
            }

            if (span.IsSensor && span.Pid >= 0 && !span.SyscallTerminal)
            {
                if (span.SysReq != 0)
                {
                    Add(bySyscallId, (span.Host, span.Pid, span.SysReq), span);
                }

                if (span.SysResp != 0 && span.SysResp != span.SysReq)
                {
                    Add(bySyscallId, (span.Host, span.Pid, span.SysResp), span);
                }
            }
        }

        MarkMultiplexedThreads(servers);
        LinkSdkSpans(spans, sdkById, servers, options);
        LinkClientsToSdk(spans, sdkById, servers, options);
        LinkServersByTcp(spans, clientsByReqSeq, clientsByRespSeq, options);
        LinkClientsToServers(spans, servers, bySyscallId, options);
        foreach (var span in spans)
        {
            // Last resort for a server span whose client side was not captured: the traceparent it received.
            if (span.Side == TapSide.Server && span.Parent is null && span.HeaderParent != 0
                && sdkById.TryGetValue(span.HeaderParent, out var sdk))
            {
                SetParent(span, sdk, LinkKeys.Sdk);
            }
        }

        BreakCycles(spans);
    }

    /// <summary>
    /// An event-loop thread interleaves requests, so the kernel stamps one request's syscall id on another's writes
    /// (DeepFlow's thread-reuse false join). Two overlapping server spans on one thread reveal it; such threads get no syscall joins.
    /// </summary>
    private static void MarkMultiplexedThreads(Dictionary<(string, long), List<SpanFacts>> servers)
    {
        // Overlaps with spans outside the set were marked by the caller from the thread index; keep those marks.
        var lastByThread = new Dictionary<long, SpanFacts>();
        foreach (var process in servers.Values)
        {
            // Lists are in start order, so comparing with the previous span of the thread finds every overlap chain.
            lastByThread.Clear();
            foreach (var server in process)
            {
                if (server.Tid < 0)
                {
                    continue;
                }

                if (lastByThread.TryGetValue(server.Tid, out var previous) && previous.End > server.Start)
                {
                    previous.Multiplexed = true;
                    server.Multiplexed = true;
                    if (server.End < previous.End)
                    {
                        continue;
                    }
                }

                lastByThread[server.Tid] = server;
            }
        }
    }

    private static void LinkSdkSpans(List<SpanFacts> spans, Dictionary<ulong, SpanFacts> sdkById, Dictionary<(string, long), List<SpanFacts>> servers, TraceAssemblerOptions options)
    {
        foreach (var span in spans)
        {
            if (!span.IsSdk || span.HeaderParent == 0)
            {
                continue;
            }

            // An SDK server span sits under the sensor span of the same process that received the same traceparent.
            if (span.Side == TapSide.ServerApp && span.Pid >= 0 && servers.TryGetValue((span.Host, span.Pid), out var candidates))
            {
                SpanFacts? best = null;
                foreach (var server in candidates)
                {
                    if (server.HeaderParent == span.HeaderParent && Relations.Covers(server, span, options.SlackNanos)
                        && (best is null || server.Start > best.Start))
                    {
                        best = server;
                    }
                }

                if (best is not null)
                {
                    SetParent(span, best, LinkKeys.Sdk);
                    continue;
                }
            }

            if (sdkById.TryGetValue(span.HeaderParent, out var parent) && parent != span)
            {
                SetParent(span, parent, LinkKeys.Sdk);
            }
        }
    }

    private static void LinkClientsToSdk(List<SpanFacts> spans, Dictionary<ulong, SpanFacts> sdkById, Dictionary<(string, long), List<SpanFacts>> servers, TraceAssemblerOptions options)
    {
        foreach (var span in spans)
        {
            // The traceparent a client sensor span carries names the SDK span that sent it, when that span is in this process;
            // a proxy passing the header on is not a child of the remote SDK span. SDK resources carry no process.pid by
            // default: then the process that sent the request is the SDK's unless it had received the same traceparent.
            if (span.Side == TapSide.Client && span.HeaderParent != 0 && sdkById.TryGetValue(span.HeaderParent, out var sdk)
                && (sdk.Pid >= 0 ? sdk.SameProcess(span) : !PassesOn(span, servers, options)))
            {
                SetParent(span, sdk, LinkKeys.Sdk);
            }
        }
    }

    /// <summary>True when a server span of the client's process received the traceparent the client sent, around the call.</summary>
    private static bool PassesOn(SpanFacts client, Dictionary<(string, long), List<SpanFacts>> servers, TraceAssemblerOptions options)
    {
        if (client.Pid < 0 || !servers.TryGetValue((client.Host, client.Pid), out var candidates))
        {
            return false;
        }

        foreach (var server in candidates)
        {
            if (server.HeaderParent == client.HeaderParent && Relations.Covers(server, client, options.SlackNanos))
            {
                return true;
            }
        }

        return false;
    }

    private static void LinkServersByTcp(List<SpanFacts> spans, Dictionary<long, List<SpanFacts>> byReq, Dictionary<long, List<SpanFacts>> byResp, TraceAssemblerOptions options)
    {
        foreach (var server in spans)
        {
            if (server.Side != TapSide.Server || server.Parent is not null)
            {
                continue;
            }

            SpanFacts? best = null;
            string? bestKey = null;
            var bestDelta = long.MaxValue;
            if (server.HasReqSeq && byReq.TryGetValue(server.ReqSeq, out var clients))
            {
                Pick(server, clients, options, ref best, ref bestKey, ref bestDelta);
            }

            if (best is null && server.HasRespSeq && byResp.TryGetValue(server.RespSeq, out clients))
            {
                Pick(server, clients, options, ref best, ref bestKey, ref bestDelta);
            }

            if (best is not null)
            {
                SetParent(server, best, bestKey!);
            }
        }

        static void Pick(SpanFacts server, List<SpanFacts> clients, TraceAssemblerOptions options, ref SpanFacts? best, ref string? bestKey, ref long bestDelta)
        {
            foreach (var client in clients)
            {
                var key = Relations.Tcp(client, server, options);
                var delta = Math.Abs(client.Start - server.Start);
                if (key is not null && delta < bestDelta)
                {
                    best = client;
                    bestKey = key;
                    bestDelta = delta;
                }
            }
        }
    }

    private static void LinkClientsToServers(
        List<SpanFacts> spans,
        Dictionary<(string, long), List<SpanFacts>> servers,
        Dictionary<(string, long, long), List<SpanFacts>> bySyscallId,
        TraceAssemblerOptions options)
    {
        var slack = options.SlackNanos;
        foreach (var client in spans)
        {
            if (client.Side != TapSide.Client || client.Pid < 0
                || !servers.TryGetValue((client.Host, client.Pid), out var candidates))
            {
                continue;
            }

            // 1. Syscall trace id: shared with the server span directly, or through an earlier sibling of the chain
            //    (each call's response id is the next call's request id). Computed for SDK-parented calls too: it
            //    tells which server span received the request the SDK root span handled.
            var parent = BySyscall(client, client.SysReq, bySyscallId, options) ?? BySyscall(client, client.SysResp, bySyscallId, options);
            client.SyscallServer = parent;
            if (client.Parent is not null)
            {
                AdoptSdkRoot(client, parent, options);
                continue;
            }

            if (parent is not null)
            {
                SetParent(client, parent, LinkKeys.SyscallTraceId);
                continue;
            }

            // 2. X-Request-ID across sides; 3. the only server span of the same thread covering the call.
            SpanFacts? byXrid = null;
            SpanFacts? byThread = null;
            var threadCandidates = 0;
            foreach (var server in candidates)
            {
                if (!Relations.Covers(server, client, slack))
                {
                    continue;
                }

                if (Relations.XridCross(server, client) && (byXrid is null || server.Start > byXrid.Start))
                {
                    byXrid = server;
                }

                if (server.Tid >= 0 && server.Tid == client.Tid)
                {
                    threadCandidates++;
                    if (Relations.ThreadEligible(server, client))
                    {
                        byThread = server;
                    }
                }
            }

            if (byXrid is not null)
            {
                SetParent(client, byXrid, LinkKeys.XRequestId);
            }
            else if (byThread is not null && threadCandidates == 1)
            {
                SetParent(client, byThread, LinkKeys.ThreadId);
            }
        }
    }

    private static SpanFacts? BySyscall(SpanFacts client, long id, Dictionary<(string, long, long), List<SpanFacts>> bySyscallId, TraceAssemblerOptions options)
    {
        if (id == 0 || !bySyscallId.TryGetValue((client.Host, client.Pid, id), out var sharing))
        {
            return null;
        }

        SpanFacts? best = null;
        foreach (var other in sharing)
        {
            if (other == client || !Relations.Syscall(client, other, options))
            {
                continue;
            }

            var server = other.Side == TapSide.Server ? other : other.SyscallServer;
            if (server is not null && !server.Multiplexed && Relations.Covers(server, client, options.SlackNanos) && (best is null || server.Start > best.Start))
            {
                best = server;
            }
        }

        return best;
    }

    /// <summary>
    /// An SDK server span that received no traceparent has no parent id; the sensor server span of its process
    /// whose syscall chain reaches one of its calls is the request it handled.
    /// </summary>
    private static void AdoptSdkRoot(SpanFacts client, SpanFacts? server, TraceAssemblerOptions options)
    {
        if (server is null || client.LinkKey != LinkKeys.Sdk)
        {
            return;
        }

        var top = client.Parent!;
        for (var steps = 0; top.Parent is { IsSdk: true } up && up.SameProcess(client) && steps < 64; steps++)
        {
            top = up;
        }

        if (top.IsSdk && top.Parent is null && top.HeaderParent == 0 && top.SameProcess(client) && Relations.Covers(server, top, options.SlackNanos))
        {
            SetParent(top, server, LinkKeys.SyscallTraceId);
        }
    }

    private static void SetParent(SpanFacts child, SpanFacts parent, string key)
    {
        child.Parent = parent;
        child.LinkKey = key;
    }

    private static void BreakCycles(List<SpanFacts> spans)
    {
        // A false join can close a loop; walking up from each span with a step bound finds it, and the
        // closing edge is dropped so every span still reaches a root.
        var state = new Dictionary<SpanFacts, int>(ReferenceEqualityComparer.Instance);
        var path = new List<SpanFacts>();
        foreach (var start in spans)
        {
            path.Clear();
            var current = start;
            while (current is not null && !state.ContainsKey(current))
            {
                state[current] = 1;
                path.Add(current);
                var next = current.Parent;
                if (next is not null && state.TryGetValue(next, out var mark) && mark == 1)
                {
                    current.Parent = null;
                    current.LinkKey = null;
                    break;
                }

                current = next;
            }

            foreach (var visited in path)
            {
                state[visited] = 2;
            }
        }
    }

    private static void Add<TKey>(Dictionary<TKey, List<SpanFacts>> map, TKey key, SpanFacts span)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map[key] = list;
        }

        list.Add(span);
    }
}
