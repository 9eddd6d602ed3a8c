using System.Buffers;
using System.Buffers.Binary;

using TraceLink.Protocol.Spans;

namespace TraceLink.Storage.Spans;

/// <summary>
/// Encodes a wire batch into span-log records (one per resource, one per span) in a reusable buffer, outside
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

    public Span<byte> Record(int index) => _buffer.AsSpan(_offsets[index], _lengths[index]);

    public byte Type(int index) => _types[index];

    public uint CrcState(int index) => _crcStates[index];

    /// <summary>
    /// Encodes <paramref name="batch"/> by copying its resource, scope and span bytes as they arrived (no re-encoding);
    /// throws <see cref="InvalidDataException"/> when one record would not fit a log page.
    /// </summary>
    public void Encode(OtlpSpanBatch batch, long maxRecordLength)
    {
        _used = 0;
        Count = 0;
        SpanCount = 0;
        ReadOnlySpan<byte> body = batch.Body.Span;
        ReadOnlySpan<WireScope> scopes = batch.Scopes;
        ReadOnlySpan<WireSpan> spans = batch.Spans;
        foreach (ref readonly WireResource resource in batch.Resources)
        {
            ReadOnlySpan<byte> resourceBytes = body[resource.Resource];
            ReadOnlySpan<byte> resourceSchema = body[resource.SchemaUrl];
            int payload = (resource.HasResource ? FieldSize(resourceBytes.Length) : 0) + StringFieldSize(resourceSchema.Length);
            Span<byte> record = Begin(SpanLogRecord.TypeResource, SpanLogRecord.CommonHeaderSize + payload, maxRecordLength);
            SpanLogRecord.WriteHeader(record, SpanLogRecord.TypeResource, payload);
            int at = SpanLogRecord.CommonHeaderSize;
            if (resource.HasResource)
            {
                at = WriteField(record, at, 0x0A, resourceBytes);
            }

            WriteString(record, at, 0x1A, resourceSchema);
            SpanLogRecord.Seal(record, SpanLogRecord.TypeResource, SpanLogRecord.PayloadCrcState(record, SpanLogRecord.TypeResource));
            _crcStates[Count - 1] = 0;

            for (int i = resource.FirstSpan; i < resource.FirstSpan + resource.SpanCount; i++)
            {
                ref readonly WireSpan span = ref spans[i];
                ref readonly WireScope scope = ref scopes[span.ScopeIndex];
                ReadOnlySpan<byte> scopeBytes = body[scope.Scope];
                ReadOnlySpan<byte> scopeSchema = body[scope.SchemaUrl];
                ReadOnlySpan<byte> spanBytes = body[span.Message];
                int spanPayload = (scope.HasScope ? FieldSize(scopeBytes.Length) : 0) + StringFieldSize(scopeSchema.Length) + FieldSize(spanBytes.Length);
                Span<byte> spanRecord = Begin(SpanLogRecord.TypeSpan, SpanLogRecord.SpanHeaderSize + spanPayload, maxRecordLength);
                SpanLogRecord.WriteHeader(spanRecord, SpanLogRecord.TypeSpan, spanPayload);
                BinaryPrimitives.WriteInt64LittleEndian(spanRecord[SpanLogRecord.ResourceLocatorOffset..], 0);
                BinaryPrimitives.WriteInt64LittleEndian(spanRecord[SpanLogRecord.StartTimeOffset..], (long)span.StartTimeUnixNano);
                int p = SpanLogRecord.SpanHeaderSize;
                if (scope.HasScope)
                {
                    p = WriteField(spanRecord, p, 0x0A, scopeBytes);
                }

                p = WriteString(spanRecord, p, 0x1A, scopeSchema);
                WriteField(spanRecord, p, SpanLogRecord.ScopeSpansSpanTag, spanBytes);
                _crcStates[Count - 1] = SpanLogRecord.PayloadCrcState(spanRecord, SpanLogRecord.TypeSpan);
                SpanCount++;
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

    private static int FieldSize(int length) => 1 + VarintSize((uint)length) + length;

    private static int StringFieldSize(int length) => length == 0 ? 0 : FieldSize(length);

    private static int VarintSize(uint value) => value < 1 << 7 ? 1 : value < 1 << 14 ? 2 : value < 1 << 21 ? 3 : value < 1 << 28 ? 4 : 5;

    private static int WriteString(Span<byte> record, int at, byte tag, ReadOnlySpan<byte> value) =>
        value.IsEmpty ? at : WriteField(record, at, tag, value);

    private static int WriteField(Span<byte> record, int at, byte tag, ReadOnlySpan<byte> value)
    {
        at = WriteTag(record, at, tag, value.Length);
        value.CopyTo(record[at..]);
        return at + value.Length;
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
