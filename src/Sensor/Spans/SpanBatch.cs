using System.Buffers;

using TraceLink.Protocol.Wire;
using TraceLink.Sensor.Capture;
using TraceLink.Sensor.Http;

namespace TraceLink.Sensor.Spans;

/// <summary>
/// Collects paired exchanges until they are taken as one encoded OTLP <c>ExportTraceServiceRequest</c>, spans grouped
/// by process. The spans are written when the batch is taken, not when an exchange arrives: a waiting exchange holds
/// only its two parsed messages, which go back to the parsers' pool once their span is written.
/// </summary>
internal sealed class SpanBatch : IDisposable
{
    private const int RequestResourceSpans = 1;
    private const int ResourceSpansScopeSpans = 2;
    private const int ScopeSpansSpans = 2;

    // ScopeSpans.scope = InstrumentationScope { name = "tracelink.sensor" }
    private static readonly byte[] Scope = [(1 << 3) | 2, 18, (1 << 3) | 2, 16, .. "tracelink.sensor"u8];

    private readonly SpanFactory _factory;
    private readonly List<HttpExchange> _exchanges = [];
    private readonly List<uint> _pids = [];
    private readonly HttpMessagePool? _messages;
    private readonly ProtoWriter _writer = new(64 * 1024);

    /// <param name="factory">Writes the spans.</param>
    /// <param name="messages">Where the exchanges' messages go back once their span is written (the parsers' pool), if anywhere.</param>
    public SpanBatch(SpanFactory factory, HttpMessagePool? messages = null)
    {
        _factory = factory;
        _messages = messages;
    }

    public int Count => _exchanges.Count;

    public void Add(HttpExchange exchange) => _exchanges.Add(exchange);

    /// <summary>Returns the encoded spans of the exchanges collected so far (null when none) and starts a new batch.</summary>
    public EncodedSpans? Take()
    {
        if (_exchanges.Count == 0)
        {
            return null;
        }

        foreach (var exchange in _exchanges)
        {
            if (!_pids.Contains(exchange.Connection.Pid))
            {
                _pids.Add(exchange.Connection.Pid);
            }
        }

        foreach (uint pid in _pids)
        {
            int resourceSpans = _writer.BeginField(RequestResourceSpans);
            _writer.Raw(_factory.ResourceFor(pid));
            int scopeSpans = _writer.BeginField(ResourceSpansScopeSpans);
            _writer.Raw(Scope);
            foreach (var exchange in _exchanges)
            {
                if (exchange.Connection.Pid != pid)
                {
                    continue;
                }

                _factory.Write(_writer, ScopeSpansSpans, exchange);
                if (_messages is not null)
                {
                    // the span holds copies of the messages' bytes, never the messages themselves
                    _messages.Return(exchange.Request);
                    _messages.Return(exchange.Response);
                }
            }

            _writer.EndField(scopeSpans);
            _writer.EndField(resourceSpans);
        }

        var spans = new EncodedSpans(_writer.Detach(out int length), length, _exchanges.Count);
        _exchanges.Clear();
        _pids.Clear();
        return spans;
    }

    public void Dispose() => _writer.Dispose();
}

/// <summary>
/// An encoded OTLP <c>ExportTraceServiceRequest</c> in a buffer rented from <see cref="ArrayPool{T}.Shared"/>;
/// <see cref="Dispose"/> returns it.
/// </summary>
internal sealed class EncodedSpans(byte[] buffer, int length, int spanCount) : IDisposable
{
    private byte[]? _buffer = buffer;

    /// <summary>The encoded request.</summary>
    public ReadOnlyMemory<byte> Body => _buffer.AsMemory(0, length);

    public int SpanCount { get; } = spanCount;

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
