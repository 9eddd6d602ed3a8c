using System.Buffers.Binary;
using System.Globalization;
using System.Text;

using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Protocol.Spans;

namespace TraceLink.Storage.Spans;

/// <summary>Derives every index posting of one span (the same code serves ingest and WAL replay).</summary>
internal static class SpanPostings
{
    /// <summary>Resource facts the span keys need: service name bytes and process id.</summary>
    public readonly struct ResourceKeys
    {
        public ResourceKeys(Resource? resource)
        {
            Service = [];
            Pid = 0;
            if (resource is null)
            {
                return;
            }

            foreach (KeyValue attribute in resource.Attributes)
            {
                if (attribute.Key == SpanAttributeNames.ServiceName && attribute.Value?.ValueCase == AnyValue.ValueOneofCase.StringValue)
                {
                    Service = Encoding.UTF8.GetBytes(attribute.Value.StringValue);
                }
                else if (attribute.Key == SpanAttributeNames.ProcessPid && TryGetInt64(attribute.Value, out long pid))
                {
                    Pid = (int)pid;
                }
            }
        }

        public byte[] Service { get; }

        public int Pid { get; }
    }

    public static void Collect(in ResourceKeys resource, Span span, long locator, PostingBatch batch)
    {
        long start = (long)span.StartTimeUnixNano;
        long minute = SpanIndexValues.Minute(start);
        Span<byte> key = stackalloc byte[IndexKeys.MaxKeyBytes];
        Span<byte> value = stackalloc byte[16];

        Add(batch, key, IndexKind.TraceId, minute, span.TraceId.Span, locator, start);
        Add(batch, key, IndexKind.SpanId, minute, span.SpanId.Span, locator, start);
        if (resource.Service.Length > 0)
        {
            Add(batch, key, IndexKind.Service, minute, resource.Service, locator, start);
        }

        AddString(batch, key, IndexKind.SpanName, minute, span.Name, locator, start);
        value[0] = (byte)(span.Status?.Code ?? Status.Types.StatusCode.Unset);
        Add(batch, key, IndexKind.Status, minute, value[..1], locator, start);
        value[0] = SpanIndexValues.DurationBucketOf((long)(span.EndTimeUnixNano - span.StartTimeUnixNano));
        Add(batch, key, IndexKind.DurationBucket, minute, value[..1], locator, start);
        BinaryPrimitives.WriteInt64BigEndian(value, minute);
        Add(batch, key, IndexKind.TimeBucket, minute, value[..8], locator, start);
        AddString(batch, key, IndexKind.Kind, minute, SpanIndexValues.KindName(span.Kind), locator, start);

        int pid = resource.Pid;
        long threadId = -1;
        long pseudoThreadId = -1;
        // Indexed loops: RepeatedField's enumerator is a heap-allocated iterator.
        for (int a = 0; a < span.Attributes.Count; a++)
        {
            KeyValue attribute = span.Attributes[a];
            switch (attribute.Key)
            {
                case SpanAttributeNames.TcpReqSeq:
                    AddInt64(batch, key, IndexKind.TcpReqSeq, minute, attribute.Value, locator, start);
                    break;
                case SpanAttributeNames.TcpRespSeq:
                    AddInt64(batch, key, IndexKind.TcpRespSeq, minute, attribute.Value, locator, start);
                    break;
                case SpanAttributeNames.SyscallTraceIdReq:
                case SpanAttributeNames.SyscallTraceIdResp:
                    AddInt64(batch, key, IndexKind.SyscallTraceId, minute, attribute.Value, locator, start);
                    break;
                case SpanAttributeNames.XRequestIdReq:
                case SpanAttributeNames.XRequestIdResp:
                    if (attribute.Value?.ValueCase == AnyValue.ValueOneofCase.StringValue && attribute.Value.StringValue.Length > 0)
                    {
                        AddString(batch, key, IndexKind.XRequestId, minute, attribute.Value.StringValue, locator, start);
                    }

                    break;
                case SpanAttributeNames.ThreadId:
                    _ = TryGetInt64(attribute.Value, out threadId);
                    break;
                case SpanAttributeNames.PseudoThreadId:
                    _ = TryGetInt64(attribute.Value, out pseudoThreadId);
                    break;
                case SpanAttributeNames.ProcessPid:
                    if (TryGetInt64(attribute.Value, out long spanPid))
                    {
                        pid = (int)spanPid;
                    }

                    break;
                default:
                    break;
            }
        }

        if (threadId >= 0)
        {
            BinaryPrimitives.WriteInt32BigEndian(value, pid);
            BinaryPrimitives.WriteInt32BigEndian(value[4..], (int)threadId);
            Add(batch, key, IndexKind.ThreadId, minute, value[..8], locator, start);
        }

        if (pseudoThreadId >= 0)
        {
            BinaryPrimitives.WriteInt32BigEndian(value, pid);
            BinaryPrimitives.WriteInt64BigEndian(value[4..], pseudoThreadId);
            Add(batch, key, IndexKind.PseudoThreadId, minute, value[..12], locator, start);
        }

        // IndexKind.TraceGroup: the ingest-time linker (later issue) adds its postings here from the group it assigns.
    }

    public static bool TryGetInt64(AnyValue? value, out long result)
    {
        result = 0;
        switch (value?.ValueCase)
        {
            case AnyValue.ValueOneofCase.IntValue:
                result = value.IntValue;
                return true;
            case AnyValue.ValueOneofCase.StringValue:
                return long.TryParse(value.StringValue, NumberStyles.Integer, CultureInfo.InvariantCulture, out result);
            case AnyValue.ValueOneofCase.DoubleValue:
                result = (long)value.DoubleValue;
                return true;
            default:
                return false;
        }
    }

    private static void AddInt64(PostingBatch batch, Span<byte> key, IndexKind kind, long minute, AnyValue? attribute, long locator, long start)
    {
        if (TryGetInt64(attribute, out long number))
        {
            Span<byte> value = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(value, number);
            Add(batch, key, kind, minute, value, locator, start);
        }
    }

    private static void AddString(PostingBatch batch, Span<byte> key, IndexKind kind, long minute, string text, long locator, long start)
    {
        byte[] scratch = batch.EnsureScratch(Encoding.UTF8.GetMaxByteCount(text.Length));
        int length = Encoding.UTF8.GetBytes(text, scratch);
        Add(batch, key, kind, minute, scratch.AsSpan(0, length), locator, start);
    }

    private static void Add(PostingBatch batch, Span<byte> key, IndexKind kind, long minute, ReadOnlySpan<byte> value, long locator, long start)
    {
        int length = IndexKeys.Build(key, kind, minute, value);
        batch.Add(key[..length], locator, start);
    }
}
