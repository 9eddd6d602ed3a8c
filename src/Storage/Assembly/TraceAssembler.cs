using System.Buffers.Binary;

using Google.Protobuf;

using OpenTelemetry.Proto.Common.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Assembly;

/// <summary>
/// Joins spans that share no trace id into one trace (DESIGN.md §4). With a <see cref="TraceGroupLinker"/>
/// a trace is one group read; otherwise, or when the group is unknown, a bounded iterative search over the
/// correlation index finds the spans. Parents are then set by <c>ParentResolver</c>. Thread-safe.
/// </summary>
public sealed class TraceAssembler : ITraceReader
{
    private readonly ISpanStore _store;
    private readonly TraceAssemblerOptions _options;
    private readonly TraceGroupLinker? _linker;

    /// <summary>Creates an assembler over <paramref name="store"/>; <paramref name="linker"/> is optional.</summary>
    public TraceAssembler(ISpanStore store, TraceAssemblerOptions? options = null, TraceGroupLinker? linker = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? new TraceAssemblerOptions();
        _linker = linker;
    }

    /// <summary>
    /// The trace with a real or synthetic 16-byte id: from its trace group when linked, else by search;
    /// null when no span is known.
    /// </summary>
    public AssembledTrace? Assemble(ReadOnlySpan<byte> traceId)
    {
        return FromTraceGroup(traceId) ?? Search(traceId);
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredSpan> GetTrace(ReadOnlySpan<byte> traceId) => Assemble(traceId)?.Spans ?? [];

    /// <inheritdoc />
    public ReadOnlyMemory<byte> TraceIdOf(StoredSpan span)
    {
        ArgumentNullException.ThrowIfNull(span);
        if (!span.Span.TraceId.IsEmpty)
        {
            return span.Span.TraceId.Memory;
        }

        if (_linker is not null)
        {
            var group = _linker.GroupOf(span.Locator);
            if (group >= 0)
            {
                return _linker.TraceIdOf(group);
            }
        }

        return AssembleFrom(span.Locator)?.TraceId ?? SyntheticIds.TraceIdFor(span.Locator);
    }

    /// <summary>The trace containing the span at <paramref name="locator"/>; null when the span does not exist.</summary>
    public AssembledTrace? AssembleFrom(long locator)
    {
        if (_linker is not null)
        {
            var group = _linker.GroupOf(locator);
            if (group >= 0)
            {
                var locators = new List<long>();
                _linker.GetGroupSpans(group, locators);
                var trace = FromLocators(_linker.TraceIdOf(group), locators, locator);
                if (trace is not null)
                {
                    return trace;
                }
            }
        }

        var span = _store.Read(locator);
        return span is null ? null : SearchFrom([span], requestedTraceId: null);
    }

    /// <summary>The trace read from the ingest-time trace group only; null without a linker or when unknown.</summary>
    public AssembledTrace? FromTraceGroup(ReadOnlySpan<byte> traceId)
    {
        if (_linker is null)
        {
            return null;
        }

        var locators = new List<long>();
        var seed = SyntheticIds.TryParseTraceId(traceId, out var locator) ? locator : -1;
        return _linker.TryGetTraceSpans(traceId, locators) ? FromLocators(traceId.ToArray(), locators, seed) : null;
    }

    /// <summary>The trace found by the query-time iterative search only; null when no seed span is known.</summary>
    public AssembledTrace? Search(ReadOnlySpan<byte> traceId)
    {
        List<StoredSpan> seeds;
        if (SyntheticIds.TryParseTraceId(traceId, out var locator))
        {
            var seed = _store.Read(locator);
            seeds = seed is null ? [] : [seed];
        }
        else
        {
            seeds = [.. _store.GetTrace(traceId)];
        }

        return seeds.Count == 0 ? null : SearchFrom(seeds, traceId.ToArray());
    }

    private AssembledTrace? FromLocators(byte[] traceId, List<long> locators, long seedLocator)
    {
        var seeds = new HashSet<long>();
        if (seedLocator >= 0)
        {
            seeds.Add(seedLocator);
        }

        var spans = new List<SpanFacts>(locators.Count);
        var seen = new HashSet<long>();
        var realTraceId = SyntheticIds.TryParseTraceId(traceId, out _) ? ByteString.Empty : ByteString.CopyFrom(traceId);
        foreach (var locator in locators)
        {
            if (!seen.Add(locator))
            {
                continue;
            }

            var stored = _store.Read(locator);
            if (stored is null)
            {
                continue;
            }

            var facts = SpanFacts.From(stored);
            if (facts.TraceId.IsEmpty || realTraceId.IsEmpty || facts.TraceId.Equals(realTraceId))
            {
                spans.Add(facts);
                if (!realTraceId.IsEmpty && facts.TraceId.Equals(realTraceId))
                {
                    seeds.Add(facts.Locator);
                }
            }
        }

        return spans.Count == 0 ? null : Finish(spans, traceId, AssemblyMethod.TraceGroup, truncated: false, rounds: 0, seeds);
    }

    private AssembledTrace SearchFrom(List<StoredSpan> seeds, byte[]? requestedTraceId)
    {
        var known = new Dictionary<long, SpanFacts>();
        var rejected = new HashSet<(long From, long Candidate)>();
        var queriedTraces = new HashSet<ByteString>();
        var allowedTrace = requestedTraceId is not null && !SyntheticIds.TryParseTraceId(requestedTraceId, out _)
            ? ByteString.CopyFrom(requestedTraceId) : ByteString.Empty;
        var frontier = new List<SpanFacts>();
        var seedLocators = new HashSet<long>();
        foreach (var seed in seeds)
        {
            seedLocators.Add(seed.Locator);
            if (!known.ContainsKey(seed.Locator))
            {
                var facts = SpanFacts.From(seed);
                known[seed.Locator] = facts;
                frontier.Add(facts);
                if (allowedTrace.IsEmpty && !facts.TraceId.IsEmpty)
                {
                    allowedTrace = facts.TraceId;
                }
            }
        }

        if (!allowedTrace.IsEmpty)
        {
            queriedTraces.Add(allowedTrace);
        }

        var locators = new List<long>();
        var next = new List<SpanFacts>();
        var truncated = false;
        var rounds = 0;
        while (frontier.Count > 0)
        {
            if (rounds == _options.MaxIterations)
            {
                truncated = true;
                break;
            }

            rounds++;
            next.Clear();
            foreach (var span in frontier)
            {
                if (allowedTrace.IsEmpty && !span.TraceId.IsEmpty)
                {
                    allowedTrace = span.TraceId;
                }

                if (!span.TraceId.IsEmpty && span.TraceId.Equals(allowedTrace) && queriedTraces.Add(span.TraceId))
                {
                    foreach (var member in _store.GetTrace(span.TraceId.Span))
                    {
                        Admit(member, span, known, rejected, next, allowedTrace);
                    }
                }

                foreach (var (kind, value, from, to) in LookupsOf(span))
                {
                    locators.Clear();
                    _store.Lookup(kind, value, from, to, locators);
                    foreach (var candidate in locators)
                    {
                        if (known.ContainsKey(candidate) || rejected.Contains((span.Locator, candidate)))
                        {
                            continue;
                        }

                        var stored = _store.Read(candidate);
                        if (stored is null)
                        {
                            continue;
                        }

                        Admit(stored, span, known, rejected, next, allowedTrace);
                    }
                }

                if (known.Count >= _options.MaxSpans)
                {
                    truncated = true;
                    break;
                }
            }

            if (truncated)
            {
                break;
            }

            (frontier, next) = (next, frontier);
        }

        var spans = new List<SpanFacts>(known.Values);
        var traceId = requestedTraceId
            ?? (allowedTrace.IsEmpty ? SyntheticIds.TraceIdFor(MinLocator(spans)) : allowedTrace.ToByteArray());
        return Finish(spans, traceId, AssemblyMethod.Search, truncated, rounds, seedLocators);
    }

    private void Admit(StoredSpan stored, SpanFacts from, Dictionary<long, SpanFacts> known, HashSet<(long, long)> rejected, List<SpanFacts> next, ByteString allowedTrace)
    {
        if (known.ContainsKey(stored.Locator))
        {
            return;
        }

        var facts = SpanFacts.From(stored);

        // A span of another SDK trace is not pulled in by an eBPF key (DeepFlow: allow_multiple_trace_ids = false),
        // and every new span must relate to the span whose key found it, which stops seq wrap and id collisions.
        if ((!facts.TraceId.IsEmpty && !allowedTrace.IsEmpty && !facts.TraceId.Equals(allowedTrace))
            || Relations.Related(from, facts, _options) is null)
        {
            rejected.Add((from.Locator, stored.Locator));
            return;
        }

        known[stored.Locator] = facts;
        next.Add(facts);
    }

    private IEnumerable<(IndexKind Kind, byte[] Value, long From, long To)> LookupsOf(SpanFacts span)
    {
        if (!span.IsSensor)
        {
            yield break;
        }

        var crossHost = _options.CrossHostToleranceNanos;
        var slack = _options.SlackNanos;
        var lookBack = _options.MaxTraceNanos;
        if (span.HasReqSeq)
        {
            yield return (IndexKind.TcpReqSeq, CorrelationKeyEncoding.Int64(span.ReqSeq), span.Start - crossHost, span.Start + crossHost);
        }

        if (span.HasRespSeq)
        {
            yield return (IndexKind.TcpRespSeq, CorrelationKeyEncoding.Int64(span.RespSeq), span.Start - crossHost - (span.End - span.Start), span.End + crossHost);
        }

        // Server spans look forward inside themselves for their calls; client spans look back for the server span that made them.
        var (from, to) = span.Side == TapSide.Server ? (span.Start - slack, span.End + slack) : (span.Start - lookBack, span.End + slack);
        if (span.XridReq.Length > 0)
        {
            yield return (IndexKind.XRequestId, CorrelationKeyEncoding.Utf8(span.XridReq), span.Start - lookBack, span.End + crossHost);
        }

        if (span.XridResp.Length > 0 && !string.Equals(span.XridResp, span.XridReq, StringComparison.Ordinal))
        {
            yield return (IndexKind.XRequestId, CorrelationKeyEncoding.Utf8(span.XridResp), span.Start - lookBack, span.End + crossHost);
        }

        if (!span.SyscallTerminal)
        {
            if (span.SysReq != 0)
            {
                yield return (IndexKind.SyscallTraceId, CorrelationKeyEncoding.Int64(span.SysReq), from, to);
            }

            if (span.SysResp != 0 && span.SysResp != span.SysReq)
            {
                yield return (IndexKind.SyscallTraceId, CorrelationKeyEncoding.Int64(span.SysResp), from, to);
            }
        }

        // The thread rule needs one side without syscall ids; a span with them only meets such partners by its own ids.
        if (!span.HasSyscallIds && span.Pid >= 0 && span.Tid >= 0
            && (span.Side == TapSide.Server || (span.XridReq.Length == 0 && span.XridResp.Length == 0)))
        {
            yield return (IndexKind.ThreadId, CorrelationKeyEncoding.Thread(span.Pid, span.Tid), from, span.Side == TapSide.Server ? to : span.Start + slack);
        }
    }

    private AssembledTrace Finish(List<SpanFacts> spans, byte[] traceId, AssemblyMethod method, bool truncated, int rounds, HashSet<long> seeds)
    {
        MarkMultiplexed(spans);
        ParentResolver.Resolve(spans, _options);
        spans = Prune(spans, seeds);
        var traceIdBytes = ByteString.CopyFrom(traceId);
        var output = new List<StoredSpan>(spans.Count);
        Span<byte> id = stackalloc byte[8];
        foreach (var facts in spans)
        {
            var span = facts.Stored.Span.Clone();
            span.TraceId = traceIdBytes;
            if (!facts.HasOwnSpanId)
            {
                BinaryPrimitives.WriteUInt64BigEndian(id, facts.SpanId);
                span.SpanId = ByteString.CopyFrom(id);
            }

            if (facts.Parent is not null)
            {
                BinaryPrimitives.WriteUInt64BigEndian(id, facts.Parent.SpanId);
                span.ParentSpanId = ByteString.CopyFrom(id);
            }
            else if (facts.IsSensor)
            {
                // A traceparent whose sender is not in the trace would dangle; the sensor span is a root instead.
                span.ParentSpanId = ByteString.Empty;
            }

            if (facts.IsSensor && facts.LinkKey is not null)
            {
                span.Attributes.Add(new KeyValue { Key = SpanAttributeNames.LinkKey, Value = new AnyValue { StringValue = facts.LinkKey } });
            }

            output.Add(new StoredSpan(facts.Locator, facts.Stored.Resource, facts.Stored.Scope, span));
        }

        return new AssembledTrace(traceId, output, method, truncated, rounds);
    }

    /// <summary>
    /// A server span whose thread also served an overlapping request is on an event loop; its syscall ids may be
    /// another request's. The overlapping span is usually not in the trace, so ask the thread index.
    /// </summary>
    private void MarkMultiplexed(List<SpanFacts> spans)
    {
        var locators = new List<long>();
        foreach (var server in spans)
        {
            server.Multiplexed = false;
            if (server.Side != TapSide.Server || !server.HasSyscallIds || server.Pid < 0 || server.Tid < 0)
            {
                continue;
            }

            locators.Clear();
            _store.Lookup(IndexKind.ThreadId, CorrelationKeyEncoding.Thread(server.Pid, server.Tid), server.Start - (server.End - server.Start) - _options.SlackNanos, server.End, locators);
            foreach (var locator in locators)
            {
                if (locator == server.Locator)
                {
                    continue;
                }

                var other = _store.Read(locator);
                if (other is null)
                {
                    continue;
                }

                var facts = SpanFacts.From(other);
                if (facts.Side == TapSide.Server && facts.SameProcess(server) && facts.Tid == server.Tid
                    && facts.Start < server.End && server.Start < facts.End)
                {
                    server.Multiplexed = true;
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Keeps the trees that contain a seed span (the spans the trace was opened by). Spans a false join pulled in
    /// stay unconnected once the parent rules refuse the join, and are dropped here, as DeepFlow prunes.
    /// </summary>
    private static List<SpanFacts> Prune(List<SpanFacts> spans, HashSet<long> seeds)
    {
        var rootOf = new Dictionary<SpanFacts, SpanFacts>(ReferenceEqualityComparer.Instance);
        var keep = new HashSet<SpanFacts>(ReferenceEqualityComparer.Instance);
        foreach (var span in spans)
        {
            var root = Root(span);
            rootOf[span] = root;
            if (seeds.Contains(span.Locator))
            {
                keep.Add(root);
            }
        }

        if (keep.Count == 0)
        {
            return spans;
        }

        var kept = new List<SpanFacts>(spans.Count);
        foreach (var span in spans)
        {
            if (keep.Contains(rootOf[span]))
            {
                kept.Add(span);
            }
        }

        return kept;

        static SpanFacts Root(SpanFacts span)
        {
            // Cycles were broken by the resolver; the bound only guards against a bug turning into a hang.
            for (var steps = 0; span.Parent is not null && steps < 100_000; steps++)
            {
                span = span.Parent;
            }

            return span;
        }
    }

    private static long MinLocator(List<SpanFacts> spans)
    {
        var min = long.MaxValue;
        foreach (var span in spans)
        {
            min = Math.Min(min, span.Locator);
        }

        return min;
    }
}
