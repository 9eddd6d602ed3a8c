using System.Buffers.Binary;

using Google.Protobuf;

using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Protocol.Wire;
using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Assembly;

/// <summary>
/// The correlation facts of one stored span, read once from its attributes, plus the parent
/// chosen during assembly. Sensor spans follow the conventions in docs/format/trace-groups.md.
/// </summary>
internal sealed class SpanFacts
{
    internal const string HostName = "host.name";

    private readonly StoredSpan? _stored;
    private TapSide? _tapSide;

    private SpanFacts(StoredSpan? stored, long locator)
    {
        _stored = stored;
        Locator = locator;
    }

    /// <summary>The decoded span; only facts built from a <see cref="StoredSpan"/> (query-time assembly) have one.</summary>
    public StoredSpan Stored => _stored ?? throw new InvalidOperationException("facts built from wire bytes carry no decoded span");

    public long Locator { get; private set; }

    /// <summary>The span id: the SDK's, or one derived from the locator for id-less sensor spans.</summary>
    public ulong SpanId { get; private set; }

    /// <summary>True when the span id came from the span itself (SDK or sensor-assigned).</summary>
    public bool HasOwnSpanId { get; private set; }

    /// <summary>16-byte trace id, or empty (sensor span without a traceparent header).</summary>
    public ByteString TraceId { get; private set; } = ByteString.Empty;

    /// <summary>Parent span id as sent (SDK parent, or the traceparent parent-id a sensor parsed); 0 when none.</summary>
    public ulong HeaderParent { get; private set; }

    public long Start { get; private set; }

    public long End { get; private set; }

    public TapSide Side { get; private set; }

    public bool IsSensor => Side is TapSide.Client or TapSide.Server;

    public bool IsSdk => !IsSensor;

    public string Host { get; private set; } = string.Empty;

    public long Pid { get; private set; } = -1;

    public long Tid { get; private set; } = -1;

    public long PseudoTid { get; private set; } = -1;

    public bool HasReqSeq { get; private set; }

    public long ReqSeq { get; private set; }

    public bool HasRespSeq { get; private set; }

    public long RespSeq { get; private set; }

    public string XridReq { get; private set; } = string.Empty;

    public string XridResp { get; private set; } = string.Empty;

    public long SysReq { get; private set; }

    public long SysResp { get; private set; }

    public bool HasSyscallIds => SysReq != 0 || SysResp != 0;

    /// <summary>A server span whose request and response carry the same syscall id (answered inline); never joined by it.</summary>
    public bool SyscallTerminal => Side == TapSide.Server && SysReq != 0 && SysReq == SysResp;

    public string LocalAddress { get; private set; } = string.Empty;

    public long LocalPort { get; private set; } = -1;

    public string PeerAddress { get; private set; } = string.Empty;

    public long PeerPort { get; private set; } = -1;

    public bool HasSocket => LocalAddress.Length > 0 && PeerAddress.Length > 0 && LocalPort >= 0 && PeerPort >= 0;

    // Assembly results.
    public SpanFacts? Parent { get; set; }

    public string? LinkKey { get; set; }

    /// <summary>A server span whose thread served another overlapping request: its syscall ids may belong to either.</summary>
    public bool Multiplexed { get; set; }

    /// <summary>For a client sensor span: the server span of its process that its syscall trace ids chain to.</summary>
    public SpanFacts? SyscallServer { get; set; }

    public bool SameProcess(SpanFacts other) => Pid >= 0 && Pid == other.Pid && string.Equals(Host, other.Host, StringComparison.Ordinal);

    /// <summary>True when the two sockets are the two ends of one TCP connection.</summary>
    public bool MirrorsSocketOf(SpanFacts other) =>
        LocalPort == other.PeerPort && PeerPort == other.LocalPort
        && string.Equals(LocalAddress, other.PeerAddress, StringComparison.Ordinal)
        && string.Equals(PeerAddress, other.LocalAddress, StringComparison.Ordinal);

    public static SpanFacts From(StoredSpan stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var facts = new SpanFacts(stored, stored.Locator);
        var span = stored.Span;
        foreach (var attribute in stored.Resource.Attributes)
        {
            facts.Apply(attribute);
        }

        foreach (var attribute in span.Attributes)
        {
            facts.Apply(attribute);
        }

        facts.Finish(span.TraceId.Span, span.SpanId.Span, span.ParentSpanId.Span, (long)span.StartTimeUnixNano, (long)span.EndTimeUnixNano, (int)span.Kind);
        return facts;
    }

    /// <summary>The facts an encoded <c>Resource</c> contributes to each of its spans (a template for <see cref="From(long, SpanFacts, ReadOnlySpan{byte})"/>).</summary>
    public static SpanFacts ForResource(ReadOnlySpan<byte> resource)
    {
        var facts = new SpanFacts(null, 0);
        foreach (WireKeyValue attribute in WireAttributeReader.OfResource(resource))
        {
            facts.Apply(attribute);
        }

        return facts;
    }

    /// <summary>Facts of an encoded <c>Span</c> at <paramref name="locator"/>, on top of its resource's <paramref name="resource"/> facts.</summary>
    public static SpanFacts From(long locator, SpanFacts resource, ReadOnlySpan<byte> span)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var facts = (SpanFacts)resource.MemberwiseClone();
        facts.Locator = locator;
        WireSpan fields = WireSpan.Read(span);
        foreach (WireKeyValue attribute in WireAttributeReader.OfSpan(span))
        {
            facts.Apply(attribute);
        }

        facts.Finish(span[fields.TraceId], span[fields.SpanId], span[fields.ParentSpanId], (long)fields.StartTimeUnixNano, (long)fields.EndTimeUnixNano, fields.Kind);
        return facts;
    }

    private void Finish(ReadOnlySpan<byte> traceId, ReadOnlySpan<byte> spanId, ReadOnlySpan<byte> parentSpanId, long start, long end, int kind)
    {
        Start = start;
        End = Math.Max(start, end);
        if (traceId.Length == 16 && !IsZero(traceId))
        {
            TraceId = _stored is not null ? _stored.Span.TraceId : ByteString.CopyFrom(traceId);
        }

        if (parentSpanId.Length == 8)
        {
            HeaderParent = BinaryPrimitives.ReadUInt64BigEndian(parentSpanId);
        }

        Side = _tapSide ?? (Span.Types.SpanKind)kind switch
        {
            Span.Types.SpanKind.Server or Span.Types.SpanKind.Consumer => TapSide.ServerApp,
            Span.Types.SpanKind.Client or Span.Types.SpanKind.Producer => TapSide.ClientApp,
            _ => TapSide.App,
        };

        if (spanId.Length == 8 && !IsZero(spanId))
        {
            SpanId = BinaryPrimitives.ReadUInt64BigEndian(spanId);
            HasOwnSpanId = true;
        }
        else
        {
            SpanId = SyntheticIds.SpanIdFor(Locator);
        }
    }

    private void Apply(KeyValue attribute)
    {
        var value = attribute.Value;
        if (value is null)
        {
            return;
        }

        switch (FactOf(attribute.Key))
        {
            case Fact.None:
                break;
            case Fact.TapSide:
                _tapSide = SideOf(value.StringValue);
                break;
            case var fact when IsText(fact):
                SetText(fact, value.StringValue);
                break;
            case var fact:
                SetNumber(fact, AsInt(value));
                break;
        }
    }

    private void Apply(in WireKeyValue attribute)
    {
        if (attribute.Kind == WireValueKind.None)
        {
            return;
        }

        Fact fact = FactOf(attribute.Key);
        switch (fact)
        {
            case Fact.None:
                break;
            case Fact.TapSide:
                _tapSide = SideOf(attribute.Kind == WireValueKind.String ? attribute.Bytes : default);
                break;
            case var _ when IsText(fact):
                // A non-string value reads as empty, as AnyValue.StringValue does.
                SetText(fact, attribute.StringValue());
                break;
            default:
                SetNumber(fact, attribute.TryGetInt64(out long number) ? number : 0);
                break;
        }
    }

    private static bool IsText(Fact fact) => fact is Fact.Host or Fact.XridReq or Fact.XridResp or Fact.LocalAddress or Fact.PeerAddress;

    private void SetText(Fact fact, string value)
    {
        switch (fact)
        {
            case Fact.Host:
                Host = value;
                break;
            case Fact.XridReq:
                XridReq = value;
                break;
            case Fact.XridResp:
                XridResp = value;
                break;
            case Fact.LocalAddress:
                LocalAddress = value;
                break;
            case Fact.PeerAddress:
                PeerAddress = value;
                break;
            default:
                break;
        }
    }

    private void SetNumber(Fact fact, long value)
    {
        switch (fact)
        {
            case Fact.Pid:
                Pid = value;
                break;
            case Fact.Tid:
                Tid = value;
                break;
            case Fact.PseudoTid:
                PseudoTid = value;
                break;
            case Fact.ReqSeq:
                HasReqSeq = true;
                ReqSeq = value;
                break;
            case Fact.RespSeq:
                HasRespSeq = true;
                RespSeq = value;
                break;
            case Fact.SysReq:
                SysReq = value;
                break;
            case Fact.SysResp:
                SysResp = value;
                break;
            case Fact.LocalPort:
                LocalPort = value;
                break;
            case Fact.PeerPort:
                PeerPort = value;
                break;
            default:
                break;
        }
    }

    private static TapSide? SideOf(string value) => value switch
    {
        "c" or "c-p" => TapSide.Client,
        "s" or "s-p" => TapSide.Server,
        "c-app" => TapSide.ClientApp,
        "s-app" => TapSide.ServerApp,
        _ => null,
    };

    private static TapSide? SideOf(ReadOnlySpan<byte> value) => value switch
    {
        _ when value.SequenceEqual("c"u8) || value.SequenceEqual("c-p"u8) => TapSide.Client,
        _ when value.SequenceEqual("s"u8) || value.SequenceEqual("s-p"u8) => TapSide.Server,
        _ when value.SequenceEqual("c-app"u8) => TapSide.ClientApp,
        _ when value.SequenceEqual("s-app"u8) => TapSide.ServerApp,
        _ => null,
    };

    private static Fact FactOf(string key) => FactOf(key.AsSpan());

    private static Fact FactOf(ReadOnlySpan<byte> key)
    {
        // Most SDK attribute keys match none of these: a length check rejects them cheaply.
        if (key.Length is < 8 or > 21)
        {
            return Fact.None;
        }

        Span<char> chars = stackalloc char[21];
        for (int i = 0; i < key.Length; i++)
        {
            if (key[i] >= 0x80)
            {
                return Fact.None;
            }

            chars[i] = (char)key[i];
        }

        return FactOf(chars[..key.Length]);
    }

    private static Fact FactOf(ReadOnlySpan<char> key) => key switch
    {
        SpanAttributeNames.TapSide => Fact.TapSide,
        HostName => Fact.Host,
        SpanAttributeNames.ProcessPid => Fact.Pid,
        SpanAttributeNames.ThreadId => Fact.Tid,
        SpanAttributeNames.PseudoThreadId => Fact.PseudoTid,
        SpanAttributeNames.TcpReqSeq => Fact.ReqSeq,
        SpanAttributeNames.TcpRespSeq => Fact.RespSeq,
        SpanAttributeNames.XRequestIdReq => Fact.XridReq,
        SpanAttributeNames.XRequestIdResp => Fact.XridResp,
        SpanAttributeNames.SyscallTraceIdReq => Fact.SysReq,
        SpanAttributeNames.SyscallTraceIdResp => Fact.SysResp,
        SpanAttributeNames.LocalAddress => Fact.LocalAddress,
        SpanAttributeNames.LocalPort => Fact.LocalPort,
        SpanAttributeNames.PeerAddress => Fact.PeerAddress,
        SpanAttributeNames.PeerPort => Fact.PeerPort,
        _ => Fact.None,
    };

    private static long AsInt(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.IntValue => value.IntValue,
        AnyValue.ValueOneofCase.StringValue when long.TryParse(value.StringValue, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var parsed) => parsed,
        AnyValue.ValueOneofCase.DoubleValue => (long)value.DoubleValue,
        _ => 0,
    };

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);

    private enum Fact
    {
        None,
        TapSide,
        Host,
        Pid,
        Tid,
        PseudoTid,
        ReqSeq,
        RespSeq,
        XridReq,
        XridResp,
        SysReq,
        SysResp,
        LocalAddress,
        LocalPort,
        PeerAddress,
        PeerPort,
    }
}
