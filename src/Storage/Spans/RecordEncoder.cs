using System.Buffers;
using System.Buffers.Binary;
using System.Text;

using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace TraceLink.Storage.Spans;

/// <summary>
/// Encodes an export request into span-log records (one per resource, one per span) in a reusable buffer, outside
/// the writer lock. Span records still need their resource locator and CRC seal, which only the writer knows.
/// </summary>
internal sealed class RecordEncoder
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
    private int _used;
    private int[] _offsets = new int[256];
    private int[] _lengths = new int[256];
    private byte[] _types = new byte[256];
    private uint[] _crcStates = new uint[256];

    public int Count { get; private set; }

    public int SpanCount { get; private set; }

    public static int SpanCountOf(ResourceSpans resourceSpans)
    {
        int count = 0;
        foreach (ScopeSpans scope in resourceSpans.ScopeSpans)
        {
            count += scope.Spans.Count;
        }

        return count;
    }

    public Span<byte> Record(int index) => _buffer.AsSpan(_offsets[index], _lengths[index]);

    public byte Type(int index) => _types[index];

    public uint CrcState(int index) => _crcStates[index];

    /// <summary>Encodes <paramref name="request"/>; throws <see cref="InvalidDataException"/> when one record would not fit a log page.</summary>
    public void Encode(ExportTraceServiceRequest request, long maxRecordLength)
    {
        _used = 0;
        Count = 0;
        SpanCount = 0;
        foreach (ResourceSpans resourceSpans in request.ResourceSpans)
        {
            if (SpanCountOf(resourceSpans) == 0)
            {
                continue;
            }

            int resourceSize = resourceSpans.Resource is null ? 0 : resourceSpans.Resource.CalculateSize();
            int payload = (resourceSpans.Resource is null ? 0 : 1 + CodedOutputStream.ComputeLengthSize(resourceSize) + resourceSize) +
                StringFieldSize(resourceSpans.SchemaUrl);
            Span<byte> record = Begin(SpanLogRecord.TypeResource, SpanLogRecord.CommonHeaderSize + payload, maxRecordLength);
            SpanLogRecord.WriteHeader(record, SpanLogRecord.TypeResource, payload);
            int at = SpanLogRecord.CommonHeaderSize;
            if (resourceSpans.Resource is not null)
            {
                at = WriteTag(record, at, 0x0A, resourceSize);
                resourceSpans.Resource.WriteTo(record.Slice(at, resourceSize));
                at += resourceSize;
            }

            WriteString(record, at, 0x1A, resourceSpans.SchemaUrl);
            SpanLogRecord.Seal(record, SpanLogRecord.TypeResource, SpanLogRecord.PayloadCrcState(record, SpanLogRecord.TypeResource));
            _crcStates[Count - 1] = 0;

            foreach (ScopeSpans scopeSpans in resourceSpans.ScopeSpans)
            {
                int scopeSize = scopeSpans.Scope is null ? 0 : scopeSpans.Scope.CalculateSize();
                int prefix = (scopeSpans.Scope is null ? 0 : 1 + CodedOutputStream.ComputeLengthSize(scopeSize) + scopeSize) +
                    StringFieldSize(scopeSpans.SchemaUrl);
                foreach (Span span in scopeSpans.Spans)
                {
                    int spanSize = span.CalculateSize();
                    int spanPayload = prefix + 1 + CodedOutputStream.ComputeLengthSize(spanSize) + spanSize;
                    Span<byte> spanRecord = Begin(SpanLogRecord.TypeSpan, SpanLogRecord.SpanHeaderSize + spanPayload, maxRecordLength);
                    SpanLogRecord.WriteHeader(spanRecord, SpanLogRecord.TypeSpan, spanPayload);
                    BinaryPrimitives.WriteInt64LittleEndian(spanRecord[SpanLogRecord.ResourceLocatorOffset..], 0);
                    BinaryPrimitives.WriteInt64LittleEndian(spanRecord[SpanLogRecord.StartTimeOffset..], (long)span.StartTimeUnixNano);
                    int p = SpanLogRecord.SpanHeaderSize;
                    if (scopeSpans.Scope is not null)
                    {
                        p = WriteTag(spanRecord, p, 0x0A, scopeSize);
                        scopeSpans.Scope.WriteTo(spanRecord.Slice(p, scopeSize));
                        p += scopeSize;
                    }

                    p = WriteString(spanRecord, p, 0x1A, scopeSpans.SchemaUrl);
                    p = WriteTag(spanRecord, p, SpanLogRecord.ScopeSpansSpanTag, spanSize);
                    span.WriteTo(spanRecord.Slice(p, spanSize));
                    _crcStates[Count - 1] = SpanLogRecord.PayloadCrcState(spanRecord, SpanLogRecord.TypeSpan);
                    SpanCount++;
                }
            }
        }
    }

    public void Release()
    {
        if (_buffer.Length > 1 << 24)
        {
            // Do not pin a huge one-off buffer in the pool of encoders.
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        }
    }

    private static int StringFieldSize(string value)
    {
        if (value.Length == 0)
        {
            return 0;
        }

        int bytes = Encoding.UTF8.GetByteCount(value);
        return 1 + CodedOutputStream.ComputeLengthSize(bytes) + bytes;
    }

    private static int WriteString(Span<byte> record, int at, byte tag, string value)
    {
        if (value.Length == 0)
        {
            return at;
        }

        int bytes = Encoding.UTF8.GetByteCount(value);
        at = WriteTag(record, at, tag, bytes);
        return at + Encoding.UTF8.GetBytes(value, record[at..]);
    }

    private static int WriteTag(Span<byte> record, int at, byte tag, int length)
    {
        record[at++] = tag;
        uint value = (uint)length;
        while (value >= 0x80)
        {
            record[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        record[at++] = (byte)value;
        return at;
    }

    private Span<byte> Begin(byte type, int length, long maxRecordLength)
    {
        if (length > maxRecordLength)
        {
            throw new InvalidDataException($"A span-log record of {length} bytes does not fit a span-log page (at most {maxRecordLength} bytes).");
        }

        if (_used + length > _buffer.Length)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _used + length));
            _buffer.AsSpan(0, _used).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        if (Count == _offsets.Length)
        {
            Array.Resize(ref _offsets, Count * 2);
            Array.Resize(ref _lengths, Count * 2);
            Array.Resize(ref _types, Count * 2);
            Array.Resize(ref _crcStates, Count * 2);
        }

        _offsets[Count] = _used;
        _lengths[Count] = length;
        _types[Count] = type;
        Count++;
        _used += length;
        return _buffer.AsSpan(_used - length, length);
    }
}
