using System.Buffers.Binary;

using Google.Protobuf;

using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Assembly;

/// <summary>
/// The correlation facts of one stored span, read once from its attributes, plus the parent
/// chosen during assembly. Sensor spans follow the conventions in docs/format/trace-groups.md.
/// </summary>
internal sealed class SpanFacts
{
    internal const string HostName = "host.name";

    private SpanFacts(StoredSpan stored)
    {
        Stored = stored;
    }

    public StoredSpan Stored { get; }

    public long Locator => Stored.Locator;

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
        var facts = new SpanFacts(stored);
        var span = stored.Span;
        facts.Start = (long)span.StartTimeUnixNano;
        facts.End = Math.Max(facts.Start, (long)span.EndTimeUnixNano);
        if (span.TraceId.Length == 16 && !IsZero(span.TraceId.Span))
        {
            facts.TraceId = span.TraceId;
        }

        if (span.ParentSpanId.Length == 8)
        {
            facts.HeaderParent = BinaryPrimitives.ReadUInt64BigEndian(span.ParentSpanId.Span);
        }

        string? tapSide = null;
        foreach (var attribute in stored.Resource.Attributes)
        {
            facts.Apply(attribute, ref tapSide);
        }

        foreach (var attribute in span.Attributes)
        {
            facts.Apply(attribute, ref tapSide);
        }

        facts.Side = tapSide switch
        {
            "c" or "c-p" => TapSide.Client,
            "s" or "s-p" => TapSide.Server,
            "c-app" => TapSide.ClientApp,
            "s-app" => TapSide.ServerApp,
            _ => span.Kind switch
            {
                Span.Types.SpanKind.Server or Span.Types.SpanKind.Consumer => TapSide.ServerApp,
                Span.Types.SpanKind.Client or Span.Types.SpanKind.Producer => TapSide.ClientApp,
                _ => TapSide.App,
            },
        };

        if (span.SpanId.Length == 8 && !IsZero(span.SpanId.Span))
        {
            facts.SpanId = BinaryPrimitives.ReadUInt64BigEndian(span.SpanId.Span);
            facts.HasOwnSpanId = true;
        }
        else
        {
            facts.SpanId = SyntheticIds.SpanIdFor(stored.Locator);
        }

        return facts;
    }

    private void Apply(KeyValue attribute, ref string? tapSide)
    {
        var value = attribute.Value;
        if (value is null)
        {
            return;
        }

        switch (attribute.Key)
        {
            case SpanAttributeNames.TapSide:
                tapSide = value.StringValue;
                break;
            case HostName:
                Host = value.StringValue;
                break;
            case SpanAttributeNames.ProcessPid:
                Pid = AsInt(value);
                break;
            case SpanAttributeNames.ThreadId:
                Tid = AsInt(value);
                break;
            case SpanAttributeNames.PseudoThreadId:
                PseudoTid = AsInt(value);
                break;
            case SpanAttributeNames.TcpReqSeq:
                HasReqSeq = true;
                ReqSeq = AsInt(value);
                break;
            case SpanAttributeNames.TcpRespSeq:
                HasRespSeq = true;
                RespSeq = AsInt(value);
                break;
            case SpanAttributeNames.XRequestIdReq:
                XridReq = value.StringValue;
                break;
            case SpanAttributeNames.XRequestIdResp:
                XridResp = value.StringValue;
                break;
            case SpanAttributeNames.SyscallTraceIdReq:
                SysReq = AsInt(value);
                break;
            case SpanAttributeNames.SyscallTraceIdResp:
                SysResp = AsInt(value);
                break;
            case SpanAttributeNames.LocalAddress:
                LocalAddress = value.StringValue;
                break;
            case SpanAttributeNames.LocalPort:
                LocalPort = AsInt(value);
                break;
            case SpanAttributeNames.PeerAddress:
                PeerAddress = value.StringValue;
                break;
            case SpanAttributeNames.PeerPort:
                PeerPort = AsInt(value);
                break;
            default:
                break;
        }
    }

    private static long AsInt(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.IntValue => value.IntValue,
        AnyValue.ValueOneofCase.StringValue when long.TryParse(value.StringValue, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var parsed) => parsed,
        AnyValue.ValueOneofCase.DoubleValue => (long)value.DoubleValue,
        _ => 0,
    };

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);
}
