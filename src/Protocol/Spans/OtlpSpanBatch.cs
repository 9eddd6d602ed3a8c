using System.Buffers;
using System.Globalization;
using System.Text;

using Google.Protobuf;

using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Protocol.Wire;

namespace TraceLink.Protocol.Spans;

/// <summary>
/// A validated OTLP <c>ExportTraceServiceRequest</c> read in place: one pass over the protobuf bytes records where
/// every resource, scope and span lies and the span fields the pipeline keys on, without building an object graph.
/// Slices refer to <see cref="Body"/>, which the caller keeps alive (and unchanged) while the batch is in use.
/// The position tables are pooled: dispose the batch once nothing reads it any more.
/// </summary>
public sealed class OtlpSpanBatch : IDisposable
{
    private const int MaxDepth = 64;

    private WireResource[] _resources = ArrayPool<WireResource>.Shared.Rent(4);
    private WireScope[] _scopes = ArrayPool<WireScope>.Shared.Rent(4);
    private WireSpan[] _spans = ArrayPool<WireSpan>.Shared.Rent(256);
    private int _resourceCount;
    private int _scopeCount;
    private int _spanCount;

    private OtlpSpanBatch(ReadOnlyMemory<byte> body)
    {
        Body = body;
    }

    /// <summary>The encoded request the batch was read from.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Resources of the request that hold at least one span, in request order.</summary>
    public ReadOnlySpan<WireResource> Resources => _resources.AsSpan(0, _resourceCount);

    /// <summary>Scopes of the request that hold at least one span, in request order.</summary>
    public ReadOnlySpan<WireScope> Scopes => _scopes.AsSpan(0, _scopeCount);

    /// <summary>Every span, in request order (grouped by resource, then scope).</summary>
    public ReadOnlySpan<WireSpan> Spans => _spans.AsSpan(0, _spanCount);

    /// <summary>
    /// Reads and validates a binary OTLP trace export body. Returns null with a message when the protobuf is malformed
    /// or a span id has the wrong length (trace id 16 bytes, span and parent span ids 8 bytes, or empty).
    /// </summary>
    public static OtlpSpanBatch? TryRead(ReadOnlyMemory<byte> body, out string? error)
    {
        var batch = new OtlpSpanBatch(body);
        try
        {
            error = batch.ReadRequest();
        }
        catch (InvalidDataException e)
        {
            error = "malformed OTLP protobuf: " + e.Message;
        }

        if (error is null)
        {
            return batch;
        }

        batch.Dispose();
        return null;
    }

    /// <summary>Encodes <paramref name="request"/> and reads it back as a batch; throws <see cref="InvalidDataException"/> for an invalid span id.</summary>
    public static OtlpSpanBatch FromRequest(ExportTraceServiceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return TryRead(request.ToByteArray(), out string? error) ?? throw new InvalidDataException(error);
    }

    /// <summary>
    /// The same batch over private copies of <see cref="Body"/> and of the position tables (not pooled), for a holder
    /// that must outlive the original buffer and batch.
    /// </summary>
    public OtlpSpanBatch WithCopiedBody()
    {
        var copy = new OtlpSpanBatch(Body.ToArray());
        copy.Dispose();
        copy._resources = Resources.ToArray();
        copy._scopes = Scopes.ToArray();
        copy._spans = Spans.ToArray();
        copy._resourceCount = _resourceCount;
        copy._scopeCount = _scopeCount;
        copy._spanCount = _spanCount;
        return copy;
    }

    /// <summary>Returns the pooled position tables; the batch reads as empty afterwards.</summary>
    public void Dispose()
    {
        _resourceCount = _scopeCount = _spanCount = 0;
        Return(ref _resources);
        Return(ref _scopes);
        Return(ref _spans);
    }

    /// <summary>The resource message bytes (<c>opentelemetry.proto.resource.v1.Resource</c>) of a resource, empty when absent.</summary>
    public ReadOnlySpan<byte> ResourceBytes(in WireResource resource) => Body.Span[resource.Resource];

    /// <summary>The encoded span message (<c>opentelemetry.proto.trace.v1.Span</c>).</summary>
    public ReadOnlySpan<byte> SpanBytes(in WireSpan span) => Body.Span[span.Message];

    /// <summary>The span name as a string (allocates).</summary>
    public string SpanName(in WireSpan span) => Encoding.UTF8.GetString(Body.Span[span.Name]);

    private string? ReadRequest()
    {
        ReadOnlySpan<byte> body = Body.Span;
        var reader = new ProtoReader(body);
        while (!reader.End)
        {
            int field = reader.Tag(out int wireType);
            if (field == 1 && wireType == 2)
            {
                int offset = reader.LengthDelimited(out int length);
                string? error = ReadResourceSpans(body, offset, length);
                if (error is not null)
                {
                    return error;
                }
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        return null;
    }

    private string? ReadResourceSpans(ReadOnlySpan<byte> body, int offset, int length)
    {
        var resource = default(WireResource);
        resource.FirstSpan = _spanCount;
        var reader = new ProtoReader(body[..(offset + length)], offset);
        while (!reader.End)
        {
            int field = reader.Tag(out int wireType);
            if (wireType != 2)
            {
                reader.Skip(wireType);
                continue;
            }

            int at = reader.LengthDelimited(out int size);
            switch (field)
            {
                case 1:
                    ValidateAttributesMessage(body.Slice(at, size), 1);
                    resource.Resource = new Range(at, at + size);
                    resource.HasResource = true;
                    break;
                case 2:
                    string? error = ReadScopeSpans(body, at, size, _resourceCount);
                    if (error is not null)
                    {
                        return error;
                    }

                    break;
                case 3:
                    resource.SchemaUrl = new Range(at, at + size);
                    break;
                default:
                    break;
            }
        }

        resource.SpanCount = _spanCount - resource.FirstSpan;
        if (resource.SpanCount > 0)
        {
            Add(ref _resources, ref _resourceCount, resource);
        }

        return null;
    }

    private string? ReadScopeSpans(ReadOnlySpan<byte> body, int offset, int length, int resourceIndex)
    {
        var scope = default(WireScope);
        int firstSpan = _spanCount;
        var reader = new ProtoReader(body[..(offset + length)], offset);
        while (!reader.End)
        {
            int field = reader.Tag(out int wireType);
            if (wireType != 2)
            {
                reader.Skip(wireType);
                continue;
            }

            int at = reader.LengthDelimited(out int size);
            switch (field)
            {
                case 1:
                    ValidateScope(body.Slice(at, size));
                    scope.Scope = new Range(at, at + size);
                    scope.HasScope = true;
                    break;
                case 2:
                    WireSpan span = ReadSpan(body, at, size, validate: true);
                    span.Resource = resourceIndex;
                    span.ScopeIndex = _scopeCount;
                    if (span.TraceId.GetOffsetAndLength(body.Length).Length is not (0 or 16) ||
                        span.SpanId.GetOffsetAndLength(body.Length).Length is not (0 or 8) ||
                        span.ParentSpanId.GetOffsetAndLength(body.Length).Length is not (0 or 8))
                    {
                        return InvalidIdMessage(body, span);
                    }

                    Add(ref _spans, ref _spanCount, span);
                    break;
                case 3:
                    scope.SchemaUrl = new Range(at, at + size);
                    break;
                default:
                    break;
            }
        }

        if (_spanCount > firstSpan)
        {
            Add(ref _scopes, ref _scopeCount, scope);
        }
        else
        {
            // A scope without spans stores nothing; spans already added refer to scope indexes by position.
        }

        return null;
    }

    private static string InvalidIdMessage(ReadOnlySpan<byte> body, in WireSpan span)
    {
        int traceId = span.TraceId.GetOffsetAndLength(body.Length).Length;
        int spanId = span.SpanId.GetOffsetAndLength(body.Length).Length;
        int parentSpanId = span.ParentSpanId.GetOffsetAndLength(body.Length).Length;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"span \"{Encoding.UTF8.GetString(body[span.Name])}\" has an invalid id: trace id must be 16 bytes, span and parent span ids 8 bytes (got {traceId}, {spanId}, {parentSpanId})");
    }

    /// <summary>Reads the key fields of the span at [offset, offset + length); with <paramref name="validate"/> also walks its nested messages.</summary>
    internal static WireSpan ReadSpan(ReadOnlySpan<byte> body, int offset, int length, bool validate)
    {
        var span = default(WireSpan);
        span.Message = new Range(offset, offset + length);
        var reader = new ProtoReader(body[..(offset + length)], offset);
        while (!reader.End)
        {
            int field = reader.Tag(out int wireType);
            switch (field)
            {
                case 1 when wireType == 2:
                    span.TraceId = Slice(ref reader);
                    break;
                case 2 when wireType == 2:
                    span.SpanId = Slice(ref reader);
                    break;
                case 4 when wireType == 2:
                    span.ParentSpanId = Slice(ref reader);
                    break;
                case 5 when wireType == 2:
                    span.Name = Slice(ref reader);
                    break;
                case 6 when wireType == 0:
                    span.Kind = (int)reader.Varint();
                    break;
                case 7 when wireType == 1:
                    span.StartTimeUnixNano = reader.Fixed64();
                    break;
                case 8 when wireType == 1:
                    span.EndTimeUnixNano = reader.Fixed64();
                    break;
                case 9 when wireType == 2 && validate:
                    ValidateKeyValue(reader.Bytes(), 0);
                    break;
                case 11 when wireType == 2:
                    span.EventCount++;
                    ReadOnlySpan<byte> spanEvent = reader.Bytes();
                    if (validate)
                    {
                        ValidateAttributesMessage(spanEvent, 3);
                    }

                    break;
                case 13 when wireType == 2 && validate:
                    ValidateAttributesMessage(reader.Bytes(), 4);
                    break;
                case 15 when wireType == 2:
                    int at = reader.LengthDelimited(out int size);
                    ReadStatus(body.Slice(at, size), at, ref span);
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return span;
    }

    private static void ReadStatus(ReadOnlySpan<byte> status, int offset, ref WireSpan span)
    {
        // Protobuf merges repeated occurrences of a message field: later scalars win.
        var reader = new ProtoReader(status);
        while (!reader.End)
        {
            int field = reader.Tag(out int wireType);
            if (field == 2 && wireType == 2)
            {
                int at = reader.LengthDelimited(out int size);
                span.StatusMessage = new Range(offset + at, offset + at + size);
            }
            else if (field == 3 && wireType == 0)
            {
                span.StatusCode = (int)reader.Varint();
            }
            else
            {
                reader.Skip(wireType);
            }
        }
    }

    private static Range Slice(ref ProtoReader reader)
    {
        int at = reader.LengthDelimited(out int size);
        return new Range(at, at + size);
    }

    /// <summary>Checks a message whose field <paramref name="attributesField"/> holds <c>KeyValue</c>s (resource, event, link).</summary>
    private static void ValidateAttributesMessage(ReadOnlySpan<byte> message, int attributesField) =>
        ValidateEach(message, attributesField, Nested.KeyValue, 0);

    private static void ValidateScope(ReadOnlySpan<byte> scope) => ValidateAttributesMessage(scope, 3);

    private static void ValidateKeyValue(ReadOnlySpan<byte> keyValue, int depth) => ValidateEach(keyValue, 2, Nested.AnyValue, depth + 1);

    /// <summary>Walks every field of <paramref name="message"/>; each length-delimited <paramref name="field"/> is checked as <paramref name="nested"/>.</summary>
    private static void ValidateEach(ReadOnlySpan<byte> message, int field, Nested nested, int depth)
    {
        if (depth > MaxDepth)
        {
            ProtoReader.Fail("attribute values nested too deeply");
        }

        var reader = new ProtoReader(message);
        while (!reader.End)
        {
            int current = reader.Tag(out int wireType);
            if (current == field && wireType == 2)
            {
                ReadOnlySpan<byte> bytes = reader.Bytes();
                switch (nested)
                {
                    case Nested.KeyValue:
                        ValidateKeyValue(bytes, depth);
                        break;
                    case Nested.AnyValue:
                        // array_value (5) holds AnyValues, kvlist_value (6) KeyValues, both in field 1.
                        ValidateEach(bytes, 5, Nested.ArrayValue, depth + 1);
                        ValidateEach(bytes, 6, Nested.KeyValueList, depth + 1);
                        break;
                    case Nested.ArrayValue:
                        ValidateEach(bytes, 1, Nested.AnyValue, depth + 1);
                        break;
                    case Nested.KeyValueList:
                        ValidateEach(bytes, 1, Nested.KeyValue, depth + 1);
                        break;
                }
            }
            else
            {
                reader.Skip(wireType);
            }
        }
    }

    private static void Add<T>(ref T[] array, ref int count, in T item)
    {
        if (count == array.Length)
        {
            T[] bigger = ArrayPool<T>.Shared.Rent(Math.Max(4, count * 2));
            array.AsSpan(0, count).CopyTo(bigger);
            Return(ref array);
            array = bigger;
        }

        array[count++] = item;
    }

    private static void Return<T>(ref T[] array)
    {
        T[] returned = array;
        array = [];
        if (returned.Length > 0)
        {
            ArrayPool<T>.Shared.Return(returned);
        }
    }

    private enum Nested
    {
        KeyValue,
        AnyValue,
        ArrayValue,
        KeyValueList,
    }
}
