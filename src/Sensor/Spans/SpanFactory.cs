using System.Text;

using Google.Protobuf;

using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;
using TraceLink.Sensor.Capture;
using TraceLink.Sensor.Http;

namespace TraceLink.Sensor.Spans;

/// <summary>
/// Builds the rich OTLP span of one HTTP exchange and the resource of its process. Attributes whose key and value
/// repeat (constants, a connection's endpoints, the method, status, path and most header values) are built once and
/// the same <see cref="KeyValue"/> instance is put in every span that carries them: the spans handed to the sink
/// share these sub-messages, so sinks must treat export requests as read-only (serializing and reading are fine).
/// </summary>
internal sealed class SpanFactory
{
    private const int MaxSharedValues = 4096;
    private static readonly KeyValue SchemeHttp = Shared("url.scheme", "http");
    private static readonly KeyValue SchemeHttps = Shared("url.scheme", "https");
    private static readonly KeyValue ProtocolName = Shared("network.protocol.name", "http");
    private static readonly KeyValue Version10 = Shared("network.protocol.version", "1.0");
    private static readonly KeyValue Version11 = Shared("network.protocol.version", "1.1");
    private static readonly KeyValue Transport = Shared("network.transport", "tcp");
    private static readonly KeyValue TapClient = Shared(SpanAttributeNames.TapSide, "c");
    private static readonly KeyValue TapServer = Shared(SpanAttributeNames.TapSide, "s");

    private const string Redacted = "[REDACTED]";
    private const int MaxResources = 4096;
    private const int MaxHeaderKeys = 1024;
    private const int FixedAttributes = 24;
    private readonly SensorOptions _options;
    private readonly HashSet<string> _capture;
    private readonly HashSet<string> _redact;
    private readonly string[] _requestIdHeaders;
    private readonly Dictionary<uint, Resource> _resources = [];
    private readonly Func<uint, string?> _processName;
    private readonly Dictionary<string, string> _requestHeaderKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _responseHeaderKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Key, string Value), KeyValue> _sharedStrings = [];
    private readonly Dictionary<(string Key, long Value), KeyValue> _sharedInts = [];
    private readonly Dictionary<(string Method, string Path), string> _names = [];

    public SpanFactory(SensorOptions options, Func<uint, string?>? processName = null)
    {
        _options = options;
        _capture = new HashSet<string>(options.CaptureHeaders.Select(h => h.ToLowerInvariant()), StringComparer.Ordinal);
        _redact = new HashSet<string>(options.RedactHeaders.Select(h => h.ToLowerInvariant()), StringComparer.Ordinal);
        _requestIdHeaders = [.. options.RequestIdHeaders.Select(h => h.ToLowerInvariant())];
        _processName = processName ?? ReadProcessName;
    }

    /// <summary>The span of <paramref name="exchange"/>; trace id empty unless the request carried a traceparent.</summary>
    public Span Build(HttpExchange exchange)
    {
        var request = exchange.Request;
        var response = exchange.Response;
        var connection = exchange.Connection;
        SplitTarget(request.Target, out string path, out string? query);

        var span = new Span
        {
            Name = SpanName(request.Method, path),
            Kind = exchange.IsClient ? Span.Types.SpanKind.Client : Span.Types.SpanKind.Server,
            SpanId = UnsafeByteOperations.UnsafeWrap(NewSpanId()), // a fresh array no one else holds
            TraceId = ByteString.Empty,
            StartTimeUnixNano = Math.Min(request.StartTs, response.StartTs),
            EndTimeUnixNano = Math.Max(response.EndTs, request.EndTs),
        };
        if (TraceParent.TryParse(request.GetHeader("traceparent"), out var parent))
        {
            span.TraceId = ByteString.CopyFrom(parent.TraceId);
            span.ParentSpanId = ByteString.CopyFrom(parent.ParentId);
            span.Flags = parent.Sampled ? 0x101u : 0x100u; // remote parent known, W3C sampled bit
            if (request.GetHeader("tracestate") is { } state)
            {
                span.TraceState = state;
            }
        }

        bool error = response.StatusCode >= 500 || (exchange.IsClient && response.StatusCode >= 400);
        if (error)
        {
            span.Status = new Status { Code = Status.Types.StatusCode.Error };
        }

        var a = span.Attributes;
        a.Capacity = FixedAttributes + Math.Min(request.Headers.Count + response.Headers.Count, 2 * _options.MaxHeaderAttributes); // no regrowth
        a.Add(SharedString("http.request.method", request.Method));
        a.Add(SharedString("url.path", path));
        if (query is not null)
        {
            Add(a, "url.query", query);
        }

        a.Add(exchange.IsTls ? SchemeHttps : SchemeHttp);
        a.Add(SharedInt("http.response.status_code", response.StatusCode));
        a.Add(ProtocolName);
        a.Add(request.MinorVersion switch
        {
            0 => Version10,
            1 => Version11,
            _ => SharedString("network.protocol.version", "1." + request.MinorVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        });
        a.Add(Transport);
        var endpoints = connection.EndpointAttributes ??=
        [
            Shared(SpanAttributeNames.LocalAddress, connection.LocalAddress.ToString()),
            Shared(SpanAttributeNames.LocalPort, connection.LocalPort),
            Shared(SpanAttributeNames.PeerAddress, connection.RemoteAddress.ToString()),
            Shared(SpanAttributeNames.PeerPort, connection.RemotePort),
            Shared(SpanAttributeNames.ProcessPid, connection.Pid),
        ];
        a.Add(endpoints[0]);
        a.Add(endpoints[1]);
        a.Add(endpoints[2]);
        a.Add(endpoints[3]);
        a.Add(exchange.IsClient ? TapClient : TapServer);
        a.Add(endpoints[4]);
        Add(a, SpanAttributeNames.ThreadId, request.Tid);
        Add(a, SpanAttributeNames.TcpReqSeq, request.StartSeq);
        Add(a, SpanAttributeNames.TcpRespSeq, response.StartSeq);
        Add(a, SpanAttributeNames.SyscallTraceIdReq, (long)request.SyscallTraceId);
        Add(a, SpanAttributeNames.SyscallTraceIdResp, (long)response.SyscallTraceId);
        if (RequestId(request) is { } requestId)
        {
            Add(a, SpanAttributeNames.XRequestIdReq, requestId);
        }

        if (RequestId(response) is { } responseId)
        {
            Add(a, SpanAttributeNames.XRequestIdResp, responseId);
        }

        AddHeaders(a, "http.request.header.", _requestHeaderKeys, request);
        AddHeaders(a, "http.response.header.", _responseHeaderKeys, response);
        AddBody(a, "http.request.body", "http.request.body.size", request);
        AddBody(a, "http.response.body", "http.response.body.size", response);
        return span;
    }

    /// <summary>The OTLP resource of a process: service.name from the map or the process name.</summary>
    public Resource ResourceFor(uint pid)
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
        resource = new Resource();
        Add(resource.Attributes, SpanAttributeNames.ServiceName, service);
        Add(resource.Attributes, SpanAttributeNames.ProcessPid, pid);
        Add(resource.Attributes, SpanAttributeNames.ProcessName, name);
        Add(resource.Attributes, "host.name", Environment.MachineName);
        Add(resource.Attributes, "telemetry.sdk.name", "tracelink-sensor");
        _resources[pid] = resource;
        return resource;
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

    private void AddHeaders(Google.Protobuf.Collections.RepeatedField<KeyValue> attributes, string prefix, Dictionary<string, string> keys, HttpMessage message)
    {
        int added = 0;
        foreach (var (name, value) in message.Headers)
        {
            if (added >= _options.MaxHeaderAttributes)
            {
                break;
            }

            if (_capture.Count > 0 && !_capture.Contains(name))
            {
                continue;
            }

            attributes.Add(SharedString(HeaderKey(prefix, keys, name), _redact.Contains(name) ? Redacted : Bound(value, 1024)));
            added++;
        }
    }

    private void AddBody(Google.Protobuf.Collections.RepeatedField<KeyValue> attributes, string key, string sizeKey, HttpMessage message)
    {
        if (message.BodySize == 0)
        {
            return;
        }

        attributes.Add(SharedInt(sizeKey, message.BodySize));
        int n = Math.Min(message.BodyCaptured, _options.MaxBodyBytes);
        if (n == 0 || message.Body is null)
        {
            return;
        }

        var bytes = message.Body.AsSpan(0, n);
        var value = System.Text.Unicode.Utf8.IsValid(bytes)
            ? new AnyValue { StringValue = Encoding.UTF8.GetString(bytes) }
            : new AnyValue { BytesValue = ByteString.CopyFrom(bytes) };
        attributes.Add(new KeyValue { Key = key, Value = value });
    }

    /// <summary>A string attribute shared by every span with the same key and value (the cache is bounded).</summary>
    private KeyValue SharedString(string key, string value)
    {
        if (_sharedStrings.TryGetValue((key, value), out var attribute))
        {
            return attribute;
        }

        if (_sharedStrings.Count >= MaxSharedValues)
        {
            _sharedStrings.Clear(); // e.g. Date headers: every value seen for a second only
        }

        attribute = Shared(key, value);
        _sharedStrings[(key, value)] = attribute;
        return attribute;
    }

    /// <summary>An integer attribute shared by every span with the same key and value (the cache is bounded).</summary>
    private KeyValue SharedInt(string key, long value)
    {
        if (_sharedInts.TryGetValue((key, value), out var attribute))
        {
            return attribute;
        }

        if (_sharedInts.Count >= MaxSharedValues)
        {
            _sharedInts.Clear();
        }

        attribute = Shared(key, value);
        _sharedInts[(key, value)] = attribute;
        return attribute;
    }

    private string SpanName(string method, string path)
    {
        if (_names.TryGetValue((method, path), out string? name))
        {
            return name;
        }

        if (_names.Count >= MaxSharedValues)
        {
            _names.Clear();
        }

        name = method + " " + path;
        _names[(method, path)] = name;
        return name;
    }

    private static KeyValue Shared(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Shared(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    /// <summary>The attribute key of a header, built once per header name (names repeat on every message).</summary>
    private static string HeaderKey(string prefix, Dictionary<string, string> keys, string name)
    {
        if (keys.TryGetValue(name, out string? key))
        {
            return key;
        }

        key = prefix + name;
        if (keys.Count < MaxHeaderKeys)
        {
            keys[name] = key;
        }

        return key;
    }

    private static void SplitTarget(string target, out string path, out string? query)
    {
        int q = target.IndexOf('?', StringComparison.Ordinal);
        path = q < 0 ? target : target[..q];
        query = q < 0 ? null : target[(q + 1)..];
        if (path.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            // absolute-form (forward proxies): keep only the path
            int slash = path.IndexOf('/', path.IndexOf("//", StringComparison.Ordinal) + 2);
            path = slash < 0 ? "/" : path[slash..];
        }
    }

    private static string Bound(string value, int max) => value.Length <= max ? value : value[..max];

    private static byte[] NewSpanId()
    {
        var id = new byte[8];
        do
        {
            Random.Shared.NextBytes(id);
        }
        while (BitConverter.ToUInt64(id) == 0);
        return id;
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

    private static void Add(Google.Protobuf.Collections.RepeatedField<KeyValue> attributes, string key, string value) =>
        attributes.Add(new KeyValue { Key = key, Value = new AnyValue { StringValue = value } });

    private static void Add(Google.Protobuf.Collections.RepeatedField<KeyValue> attributes, string key, long value) =>
        attributes.Add(new KeyValue { Key = key, Value = new AnyValue { IntValue = value } });
}
