using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

using TraceLink.Protocol.Spans;
using TraceLink.Protocol.Wire;
using TraceLink.Sensor.Capture;
using TraceLink.Sensor.Http;

namespace TraceLink.Sensor.Spans;

/// <summary>
/// Writes the rich OTLP span of one HTTP exchange, and the resource of its process, straight to protobuf
/// (<c>opentelemetry.proto.trace.v1.Span</c> and <c>resource.v1.Resource</c>) without an object graph. What repeats is
/// encoded once: constant attributes, attribute keys, each connection's endpoint attributes and each process's resource.
/// </summary>
internal sealed class SpanFactory
{
    // opentelemetry.proto.trace.v1.Span fields
    private const int SpanTraceId = 1;
    private const int SpanSpanId = 2;
    private const int SpanTraceState = 3;
    private const int SpanParentSpanId = 4;
    private const int SpanName = 5;
    private const int SpanKind = 6;
    private const int SpanStart = 7;
    private const int SpanEnd = 8;
    private const int SpanAttributes = 9;
    private const int SpanFlags = 16;
    private const ulong KindServer = 2;
    private const ulong KindClient = 3;

    // KeyValue, AnyValue and Resource fields
    private const int KeyValueKey = 1;
    private const int KeyValueValue = 2;
    private const int AnyString = 1;
    private const int AnyInt = 3;
    private const int AnyBytes = 7;
    private const int ResourceAttributes = 1;

    private const string Redacted = "[REDACTED]";
    private const int MaxResources = 4096;
    private const int MaxHeaderKeys = 1024;
    private const int MaxHeaderValueChars = 1024;
    private const int EncodedHeaderSlots = 1024; // a power of two; about 100 KiB

    private static readonly byte[] SchemeHttp = Constant("url.scheme", "http");
    private static readonly byte[] SchemeHttps = Constant("url.scheme", "https");
    private static readonly byte[] ProtocolName = Constant("network.protocol.name", "http");
    private static readonly byte[] Version10 = Constant("network.protocol.version", "1.0");
    private static readonly byte[] Version11 = Constant("network.protocol.version", "1.1");
    private static readonly byte[] Transport = Constant("network.transport", "tcp");
    private static readonly byte[] TapClient = Constant(SpanAttributeNames.TapSide, "c");
    private static readonly byte[] TapServer = Constant(SpanAttributeNames.TapSide, "s");

    // Status { code = STATUS_CODE_ERROR }: field 15, length 2, field 3 varint 2.
    private static readonly byte[] StatusError = [(15 << 3) | 2, 2, 3 << 3, 2];

    private static readonly byte[] Method = Key("http.request.method");
    private static readonly byte[] UrlPath = Key("url.path");
    private static readonly byte[] UrlQuery = Key("url.query");
    private static readonly byte[] StatusCode = Key("http.response.status_code");
    private static readonly byte[] ProtocolVersion = Key("network.protocol.version");
    private static readonly byte[] ThreadId = Key(SpanAttributeNames.ThreadId);
    private static readonly byte[] TcpReqSeq = Key(SpanAttributeNames.TcpReqSeq);
    private static readonly byte[] TcpRespSeq = Key(SpanAttributeNames.TcpRespSeq);
    private static readonly byte[] SyscallTraceIdReq = Key(SpanAttributeNames.SyscallTraceIdReq);
    private static readonly byte[] SyscallTraceIdResp = Key(SpanAttributeNames.SyscallTraceIdResp);
    private static readonly byte[] XRequestIdReq = Key(SpanAttributeNames.XRequestIdReq);
    private static readonly byte[] XRequestIdResp = Key(SpanAttributeNames.XRequestIdResp);
    private static readonly byte[] RequestBody = Key("http.request.body");
    private static readonly byte[] RequestBodySize = Key("http.request.body.size");
    private static readonly byte[] ResponseBody = Key("http.response.body");
    private static readonly byte[] ResponseBodySize = Key("http.response.body.size");

    private readonly SensorOptions _options;
    private readonly HashSet<string> _capture;
    private readonly HashSet<string> _redact;
    private readonly string[] _requestIdHeaders;
    private readonly Dictionary<uint, byte[]> _resources = [];
    private readonly Func<uint, string?> _processName;
    private readonly Dictionary<string, byte[]> _requestHeaderKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _responseHeaderKeys = new(StringComparer.Ordinal);
    private readonly EncodedHeader?[] _encodedHeaders = new EncodedHeader?[EncodedHeaderSlots];

    public SpanFactory(SensorOptions options, Func<uint, string?>? processName = null)
    {
        _options = options;
        _capture = new HashSet<string>(options.CaptureHeaders.Select(h => h.ToLowerInvariant()), StringComparer.Ordinal);
        _redact = new HashSet<string>(options.RedactHeaders.Select(h => h.ToLowerInvariant()), StringComparer.Ordinal);
        _requestIdHeaders = [.. options.RequestIdHeaders.Select(h => h.ToLowerInvariant())];
        _processName = processName ?? ReadProcessName;
    }

    /// <summary>
    /// Writes the span of <paramref name="exchange"/> as field <paramref name="field"/> of the enclosing message; the trace
    /// id stays empty unless the request carried a traceparent.
    /// </summary>
    public void Write(ProtoWriter w, int field, HttpExchange exchange)
    {
        var request = exchange.Request;
        var response = exchange.Response;
        SplitTarget(request.Target, out var path, out var query, out bool hasQuery);

        int span = w.BeginField(field);
        Span<byte> id = stackalloc byte[16];
        bool hasParent = TraceParent.TryParse(request.GetHeader("traceparent"), out var parent);
        if (hasParent)
        {
            BinaryPrimitives.WriteUInt128BigEndian(id, parent.TraceId);
            w.BytesField(SpanTraceId, id);
        }

        NewSpanId(id[..8]);
        w.BytesField(SpanSpanId, id[..8]);
        if (hasParent)
        {
            if (request.GetHeader("tracestate") is { } state)
            {
                w.StringField(SpanTraceState, state);
            }

            BinaryPrimitives.WriteUInt64BigEndian(id, parent.ParentId);
            w.BytesField(SpanParentSpanId, id[..8]);
        }

        int name = w.BeginField(SpanName);
        w.Utf8(request.Method);
        w.Raw(" "u8);
        w.Utf8(path);
        w.EndField(name);
        w.VarintField(SpanKind, exchange.IsClient ? KindClient : KindServer);
        w.Fixed64Field(SpanStart, Math.Min(request.StartTs, response.StartTs));
        w.Fixed64Field(SpanEnd, Math.Max(response.EndTs, request.EndTs));

        String(w, SpanAttributes, Method, request.Method);
        String(w, SpanAttributes, UrlPath, path);
        if (hasQuery)
        {
            String(w, SpanAttributes, UrlQuery, query);
        }

        w.Raw(exchange.IsTls ? SchemeHttps : SchemeHttp);
        Int(w, SpanAttributes, StatusCode, response.StatusCode);
        w.Raw(ProtocolName);
        switch (request.MinorVersion)
        {
            case 0: w.Raw(Version10); break;
            case 1: w.Raw(Version11); break;
            default: String(w, SpanAttributes, ProtocolVersion, "1." + request.MinorVersion.ToString(CultureInfo.InvariantCulture)); break;
        }

        w.Raw(Transport);
        w.Raw(exchange.Connection.EndpointAttributes ??= EndpointAttributes(exchange.Connection));
        w.Raw(exchange.IsClient ? TapClient : TapServer);
        Int(w, SpanAttributes, ThreadId, request.Tid);
        Int(w, SpanAttributes, TcpReqSeq, request.StartSeq);
        Int(w, SpanAttributes, TcpRespSeq, response.StartSeq);
        Int(w, SpanAttributes, SyscallTraceIdReq, (long)request.SyscallTraceId);
        Int(w, SpanAttributes, SyscallTraceIdResp, (long)response.SyscallTraceId);
        if (RequestId(request) is { } requestId)
        {
            String(w, SpanAttributes, XRequestIdReq, requestId);
        }

        if (RequestId(response) is { } responseId)
        {
            String(w, SpanAttributes, XRequestIdResp, responseId);
        }

        WriteHeaders(w, "http.request.header.", _requestHeaderKeys, request);
        WriteHeaders(w, "http.response.header.", _responseHeaderKeys, response);
        WriteBody(w, RequestBody, RequestBodySize, request);
        WriteBody(w, ResponseBody, ResponseBodySize, response);
        if (response.StatusCode >= 500 || (exchange.IsClient && response.StatusCode >= 400))
        {
            w.Raw(StatusError);
        }

        if (hasParent)
        {
            w.Fixed32Field(SpanFlags, parent.Sampled ? 0x101u : 0x100u); // remote parent known, W3C sampled bit
        }

        w.EndField(span);
    }

    /// <summary>
    /// The encoded <c>resource</c> field (field 1 of ResourceSpans) of a process: service.name from the map or the
    /// process name. Built once per pid.
    /// </summary>
    public byte[] ResourceFor(uint pid)
    {
        if (_resources.TryGetValue(pid, out var resource))
        {
            return resource;
        }

        if (_resources.Count >= MaxResources)
        {
            _resources.Clear(); // pids are reused; a rebuilt entry costs one /proc read
        }

        string name = _processName(pid) ?? "unknown";
        string service = _options.ServiceNames.TryGetValue(name, out var mapped) ? mapped : name;
        using var w = new ProtoWriter(256);
        int body = w.BeginField(1);
        String(w, ResourceAttributes, Key(SpanAttributeNames.ServiceName), service);
        Int(w, ResourceAttributes, Key(SpanAttributeNames.ProcessPid), pid);
        String(w, ResourceAttributes, Key(SpanAttributeNames.ProcessName), name);
        String(w, ResourceAttributes, Key("host.name"), Environment.MachineName);
        String(w, ResourceAttributes, Key("telemetry.sdk.name"), "tracelink-sensor");
        w.EndField(body);
        resource = w.WrittenSpan.ToArray();
        _resources[pid] = resource;
        return resource;
    }

    /// <summary>A <c>KeyValue</c> field with a string value; the lengths are computed, not patched.</summary>
    private static void String(ProtoWriter w, int field, byte[] key, ReadOnlySpan<char> value)
    {
        int valueBytes = Encoding.UTF8.GetByteCount(value);
        int any = 1 + ProtoWriter.VarintSize((uint)valueBytes) + valueBytes;
        KeyValueHeader(w, field, key, any);
        w.Tag(AnyString, 2);
        w.Varint((uint)valueBytes);
        w.Utf8(value);
    }

    /// <summary>A <c>KeyValue</c> field with an int value.</summary>
    private static void Int(ProtoWriter w, int field, byte[] key, long value)
    {
        int any = 1 + ProtoWriter.VarintSize((ulong)value);
        KeyValueHeader(w, field, key, any);
        w.VarintField(AnyInt, (ulong)value);
    }

    /// <summary>A <c>KeyValue</c> field with a UTF-8 string (<paramref name="isString"/>) or bytes value, copied as is.</summary>
    private static void Bytes(ProtoWriter w, int field, byte[] key, ReadOnlySpan<byte> value, bool isString)
    {
        int any = 1 + ProtoWriter.VarintSize((uint)value.Length) + value.Length;
        KeyValueHeader(w, field, key, any);
        w.BytesField(isString ? AnyString : AnyBytes, value);
    }

    /// <summary>Tag and length of a KeyValue, its key, and the tag and length of its AnyValue of <paramref name="anyLength"/> bytes.</summary>
    private static void KeyValueHeader(ProtoWriter w, int field, byte[] key, int anyLength)
    {
        int length = 1 + ProtoWriter.VarintSize((uint)key.Length) + key.Length + 1 + ProtoWriter.VarintSize((uint)anyLength) + anyLength;
        w.Tag(field, 2);
        w.Varint((uint)length);
        w.BytesField(KeyValueKey, key);
        w.Tag(KeyValueValue, 2);
        w.Varint((uint)anyLength);
    }

    private static byte[] Key(string name) => Encoding.UTF8.GetBytes(name);

    /// <summary>A span attribute encoded once: the whole KeyValue field.</summary>
    private static byte[] Constant(string key, string value)
    {
        using var w = new ProtoWriter(64);
        String(w, SpanAttributes, Key(key), value);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>The endpoint and pid attributes of a socket, encoded once per connection.</summary>
    private static byte[] EndpointAttributes(Connection connection)
    {
        using var w = new ProtoWriter(256);
        String(w, SpanAttributes, Key(SpanAttributeNames.LocalAddress), connection.LocalAddress.ToString());
        Int(w, SpanAttributes, Key(SpanAttributeNames.LocalPort), connection.LocalPort);
        String(w, SpanAttributes, Key(SpanAttributeNames.PeerAddress), connection.RemoteAddress.ToString());
        Int(w, SpanAttributes, Key(SpanAttributeNames.PeerPort), connection.RemotePort);
        Int(w, SpanAttributes, Key(SpanAttributeNames.ProcessPid), connection.Pid);
        return w.WrittenSpan.ToArray();
    }

    private string? RequestId(HttpMessage message)
    {
        foreach (string name in _requestIdHeaders)
        {
            if (message.GetHeader(name) is { } value)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>
    /// Writes the captured headers of <paramref name="message"/> as attributes. A connection's parser hands out the same
    /// name and value strings while the connection repeats a header, so each (name, value) pair is encoded once and
    /// then copied: a direct-mapped cache keyed by the strings' identities, not their text.
    /// </summary>
    private void WriteHeaders(ProtoWriter w, string prefix, Dictionary<string, byte[]> keys, HttpMessage message)
    {
        int added = 0;
        foreach (var (name, value) in message.Headers)
        {
            if (added >= _options.MaxHeaderAttributes)
            {
                break;
            }

            int slot = (RuntimeHelpers.GetHashCode(name) * 31 + RuntimeHelpers.GetHashCode(value) + RuntimeHelpers.GetHashCode(keys))
                & (EncodedHeaderSlots - 1);
            var encoded = _encodedHeaders[slot] ??= new EncodedHeader();
            if (!encoded.Holds(name, value, keys))
            {
                bool captured = _capture.Count == 0 || _capture.Contains(name);
                int start = w.Length;
                if (captured)
                {
                    var text = _redact.Contains(name) ? Redacted.AsSpan() : value.AsSpan(0, Math.Min(value.Length, MaxHeaderValueChars));
                    String(w, SpanAttributes, HeaderKey(prefix, keys, name), text);
                }

                encoded.Store(name, value, keys, captured, w.WrittenSpan[start..]);
                added += captured ? 1 : 0;
                continue;
            }

            if (encoded.Captured)
            {
                w.Raw(encoded.Bytes);
                added++;
            }
        }
    }

    private void WriteBody(ProtoWriter w, byte[] key, byte[] sizeKey, HttpMessage message)
    {
        if (message.BodySize == 0)
        {
            return;
        }

        Int(w, SpanAttributes, sizeKey, message.BodySize);
        int n = Math.Min(message.BodyCaptured, _options.MaxBodyBytes);
        if (n == 0 || message.Body is null)
        {
            return;
        }

        var bytes = message.Body.AsSpan(0, n);
        Bytes(w, SpanAttributes, key, bytes, isString: System.Text.Unicode.Utf8.IsValid(bytes));
    }

    /// <summary>The UTF-8 attribute key of a header, built once per header name (names repeat on every message).</summary>
    private static byte[] HeaderKey(string prefix, Dictionary<string, byte[]> keys, string name)
    {
        if (keys.TryGetValue(name, out var key))
        {
            return key;
        }

        key = Key(prefix + name);
        if (keys.Count < MaxHeaderKeys)
        {
            keys[name] = key;
        }

        return key;
    }

    /// <summary>One slot of the header attribute cache: a header's strings, its direction (key table) and its encoding.</summary>
    private sealed class EncodedHeader
    {
        private string? _name;
        private string? _value;
        private object? _direction;
        private byte[] _bytes = new byte[64];
        private int _length;

        public bool Captured { get; private set; }

        public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, _length);

        public bool Holds(string name, string value, object direction) =>
            ReferenceEquals(_name, name) && ReferenceEquals(_value, value) && ReferenceEquals(_direction, direction);

        public void Store(string name, string value, object direction, bool captured, ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > _bytes.Length)
            {
                _bytes = new byte[Math.Max(bytes.Length, 2 * _bytes.Length)];
            }

            bytes.CopyTo(_bytes);
            _length = bytes.Length;
            (_name, _value, _direction, Captured) = (name, value, direction, captured);
        }
    }

    private static void SplitTarget(string target, out ReadOnlySpan<char> path, out ReadOnlySpan<char> query, out bool hasQuery)
    {
        int q = target.IndexOf('?', StringComparison.Ordinal);
        hasQuery = q >= 0;
        path = q < 0 ? target : target.AsSpan(0, q);
        query = q < 0 ? default : target.AsSpan(q + 1);
        if (path.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            // absolute-form (forward proxies): keep only the path
            int authority = path.IndexOf("//", StringComparison.Ordinal) + 2;
            int slash = path[authority..].IndexOf('/');
            path = slash < 0 ? "/" : path[(authority + slash)..];
        }
    }

    private static void NewSpanId(Span<byte> id)
    {
        do
        {
            Random.Shared.NextBytes(id);
        }
        while (BinaryPrimitives.ReadUInt64LittleEndian(id) == 0);
    }

    private static string? ReadProcessName(uint pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
