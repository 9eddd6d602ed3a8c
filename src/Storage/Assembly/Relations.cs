namespace TraceLink.Storage.Assembly;

/// <summary>
/// Pairwise relation predicates with DeepFlow's false-join guards: tcp seqs only between mirrored
/// sockets inside the cross-host window, syscall ids and threads only inside one process with time cover,
/// X-Request-ID only across sides.
/// </summary>
internal static class Relations
{
    /// <summary>The key relating two spans, or null when none does.</summary>
    public static string? Related(SpanFacts a, SpanFacts b, TraceAssemblerOptions options)
    {
        if (!a.TraceId.IsEmpty && a.TraceId.Equals(b.TraceId))
        {
            return LinkKeys.TraceId;
        }

        if (SdkPair(a, b) || SdkPair(b, a))
        {
            return LinkKeys.Sdk;
        }

        var tcp = Tcp(a, b, options);
        if (tcp is not null)
        {
            return tcp;
        }

        if (Syscall(a, b, options))
        {
            return LinkKeys.SyscallTraceId;
        }

        if (XridCross(a, b) && Overlap(a, b, options.MaxTraceNanos))
        {
            return LinkKeys.XRequestId;
        }

        if (Thread(a, b, options))
        {
            return LinkKeys.ThreadId;
        }

        return null;
    }

    /// <summary>Client sensor span <paramref name="client"/> and server sensor span <paramref name="server"/> saw the same request bytes.</summary>
    public static string? Tcp(SpanFacts a, SpanFacts b, TraceAssemblerOptions options)
    {
        var (client, server) = a.Side == TapSide.Client && b.Side == TapSide.Server ? (a, b)
            : b.Side == TapSide.Client && a.Side == TapSide.Server ? (b, a) : (null, null);
        if (client is null || server is null)
        {
            return null;
        }

        if (client.HasSocket && server.HasSocket && !client.MirrorsSocketOf(server))
        {
            return null;
        }

        var tolerance = options.CrossHostToleranceNanos;
        if (client.HasReqSeq && server.HasReqSeq && client.ReqSeq == server.ReqSeq && Math.Abs(client.Start - server.Start) <= tolerance)
        {
            return LinkKeys.TcpReqSeq;
        }

        if (client.HasRespSeq && server.HasRespSeq && client.RespSeq == server.RespSeq && Math.Abs(client.End - server.End) <= tolerance)
        {
            return LinkKeys.TcpRespSeq;
        }

        return null;
    }

    /// <summary>Same process, not two server spans, a shared non-zero syscall trace id, and plausible timing.</summary>
    public static bool Syscall(SpanFacts a, SpanFacts b, TraceAssemblerOptions options)
    {
        if (!a.IsSensor || !b.IsSensor || (a.Side == TapSide.Server && b.Side == TapSide.Server)
            || a.SyscallTerminal || b.SyscallTerminal || !a.SameProcess(b) || !ShareSyscallId(a, b))
        {
            return false;
        }

        if (a.Side == TapSide.Server)
        {
            return Covers(a, b, options.SlackNanos);
        }

        if (b.Side == TapSide.Server)
        {
            return Covers(b, a, options.SlackNanos);
        }

        return Overlap(a, b, options.MaxTraceNanos);
    }

    public static bool ShareSyscallId(SpanFacts a, SpanFacts b) =>
        (a.SysReq != 0 && (a.SysReq == b.SysReq || a.SysReq == b.SysResp))
        || (a.SysResp != 0 && (a.SysResp == b.SysReq || a.SysResp == b.SysResp));

    /// <summary>One side's request value equals the other side's response value.</summary>
    public static bool XridCross(SpanFacts a, SpanFacts b) =>
        a.IsSensor && b.IsSensor
        && ((a.XridReq.Length > 0 && string.Equals(a.XridReq, b.XridResp, StringComparison.Ordinal))
            || (a.XridResp.Length > 0 && string.Equals(a.XridResp, b.XridReq, StringComparison.Ordinal)));

    /// <summary>
    /// A server span and a client span on the same thread, the client inside the server's time. Only for spans
    /// with no syscall ids and a client without X-Request-ID: spans carrying those keys link by them, and event-loop
    /// threads (proxies) serve many requests at once.
    /// </summary>
    public static bool Thread(SpanFacts a, SpanFacts b, TraceAssemblerOptions options)
    {
        var (server, client) = a.Side == TapSide.Server && b.Side == TapSide.Client ? (a, b)
            : b.Side == TapSide.Server && a.Side == TapSide.Client ? (b, a) : (null, null);
        return server is not null && client is not null
            && server.Tid >= 0 && server.Tid == client.Tid && server.SameProcess(client)
            && ThreadEligible(server, client)
            && Covers(server, client, options.SlackNanos);
    }

    public static bool ThreadEligible(SpanFacts server, SpanFacts client) =>
        !server.HasSyscallIds && !client.HasSyscallIds && client.XridReq.Length == 0 && client.XridResp.Length == 0;

    public static bool Covers(SpanFacts outer, SpanFacts inner, long slack) =>
        outer.Start - slack <= inner.Start && inner.End <= outer.End + slack;

    public static bool Overlap(SpanFacts a, SpanFacts b, long tolerance) =>
        a.Start <= b.End + tolerance && b.Start <= a.End + tolerance;

    private static bool SdkPair(SpanFacts parent, SpanFacts child) =>
        parent.HasOwnSpanId && child.HeaderParent == parent.SpanId
        && (parent.TraceId.IsEmpty || child.TraceId.IsEmpty || parent.TraceId.Equals(child.TraceId));
}
