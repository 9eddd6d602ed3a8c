using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Assembly;

/// <summary>
/// Lists the correlation-index keys of a span exactly as trace assembly looks them up, so the span
/// store indexes what <see cref="TraceAssembler"/> queries (service, name, status and time keys are the store's own).
/// </summary>
public static class CorrelationIndexKeys
{
    /// <summary>Adds the trace id, span id, tcp seq, X-Request-ID, syscall trace id and thread keys of <paramref name="span"/>.</summary>
    public static void Collect(StoredSpan span, List<CorrelationKey> keys)
    {
        ArgumentNullException.ThrowIfNull(span);
        ArgumentNullException.ThrowIfNull(keys);
        Collect(SpanFacts.From(span), keys);
    }

    internal static void Collect(SpanFacts facts, List<CorrelationKey> keys)
    {
        if (!facts.TraceId.IsEmpty)
        {
            keys.Add(new CorrelationKey(IndexKind.TraceId, facts.TraceId.ToByteArray()));
        }

        if (facts.HasOwnSpanId)
        {
            keys.Add(new CorrelationKey(IndexKind.SpanId, CorrelationKeyEncoding.Int64(unchecked((long)facts.SpanId))));
        }

        if (facts.HasReqSeq)
        {
            keys.Add(new CorrelationKey(IndexKind.TcpReqSeq, CorrelationKeyEncoding.Int64(facts.ReqSeq)));
        }

        if (facts.HasRespSeq)
        {
            keys.Add(new CorrelationKey(IndexKind.TcpRespSeq, CorrelationKeyEncoding.Int64(facts.RespSeq)));
        }

        if (facts.XridReq.Length > 0)
        {
            keys.Add(new CorrelationKey(IndexKind.XRequestId, CorrelationKeyEncoding.Utf8(facts.XridReq)));
        }

        if (facts.XridResp.Length > 0 && !string.Equals(facts.XridResp, facts.XridReq, StringComparison.Ordinal))
        {
            keys.Add(new CorrelationKey(IndexKind.XRequestId, CorrelationKeyEncoding.Utf8(facts.XridResp)));
        }

        if (facts.SysReq != 0)
        {
            keys.Add(new CorrelationKey(IndexKind.SyscallTraceId, CorrelationKeyEncoding.Int64(facts.SysReq)));
        }

        if (facts.SysResp != 0 && facts.SysResp != facts.SysReq)
        {
            keys.Add(new CorrelationKey(IndexKind.SyscallTraceId, CorrelationKeyEncoding.Int64(facts.SysResp)));
        }

        if (facts.Pid >= 0 && facts.Tid >= 0)
        {
            keys.Add(new CorrelationKey(IndexKind.ThreadId, CorrelationKeyEncoding.Thread(facts.Pid, facts.Tid)));
        }

        if (facts.Pid >= 0 && facts.PseudoTid >= 0)
        {
            keys.Add(new CorrelationKey(IndexKind.PseudoThreadId, CorrelationKeyEncoding.PseudoThread(facts.Pid, facts.PseudoTid)));
        }
    }
}
