using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

using TraceLink.Protocol.Spans;

namespace TraceLink.Storage.Spans;

/// <summary>Derives every index posting of one span from its wire bytes (the same code serves ingest and WAL replay).</summary>
internal static class SpanPostings
{
    /// <summary>Resource facts the span keys need: service name bytes and process id.</summary>
    public readonly struct ResourceKeys
    {
        public ResourceKeys(ReadOnlySpan<byte> resource)
        {
            Service = [];
            Pid = 0;
            foreach (WireKeyValue attribute in WireAttributeReader.OfResource(resource))
            {
                if (attribute.Key.SequenceEqual("service.name"u8) && attribute.Kind == WireValueKind.String)
                {
                    Service = ValidUtf8(attribute.Bytes).ToArray();
                }
                else if (attribute.Key.SequenceEqual("process.pid"u8) && attribute.TryGetInt64(out long pid))
                {
                    Pid = (int)pid;
                }
            }
        }

        public byte[] Service { get; }

        public int Pid { get; }
    }

    /// <summary>Adds the postings of the span whose fields <paramref name="span"/> indexes in <paramref name="source"/>.</summary>
    public static void Collect(in ResourceKeys resource, ReadOnlySpan<byte> source, in WireSpan span, long locator, PostingBatch batch)
    {
        long start = (long)span.StartTimeUnixNano;
        long minute = SpanIndexValues.Minute(start);
        Span<byte> key = stackalloc byte[IndexKeys.MaxKeyBytes];
        Span<byte> value = stackalloc byte[16];

        Add(batch, key, IndexKind.TraceId, minute, source[span.TraceId], locator, start);
        Add(batch, key, IndexKind.SpanId, minute, source[span.SpanId], locator, start);
        if (resource.Service.Length > 0)
        {
            Add(batch, key, IndexKind.Service, minute, resource.Service, locator, start);
        }

        AddString(batch, key, IndexKind.SpanName, minute, source[span.Name], locator, start);
        value[0] = (byte)span.StatusCode;
        Add(batch, key, IndexKind.Status, minute, value[..1], locator, start);
        value[0] = SpanIndexValues.DurationBucketOf((long)(span.EndTimeUnixNano - span.StartTimeUnixNano));
        Add(batch, key, IndexKind.DurationBucket, minute, value[..1], locator, start);
        BinaryPrimitives.WriteInt64BigEndian(value, minute);
        Add(batch, key, IndexKind.TimeBucket, minute, value[..8], locator, start);
        AddString(batch, key, IndexKind.Kind, minute, KindName(span.Kind), locator, start);

        int pid = resource.Pid;
        long threadId = -1;
        long pseudoThreadId = -1;
        foreach (WireKeyValue attribute in WireAttributeReader.OfSpan(source[span.Message]))
        {
            switch (KeyOf(attribute.Key))
            {
                case CorrelationAttribute.TcpReqSeq:
                    AddInt64(batch, key, IndexKind.TcpReqSeq, minute, attribute, locator, start);
                    break;
                case CorrelationAttribute.TcpRespSeq:
                    AddInt64(batch, key, IndexKind.TcpRespSeq, minute, attribute, locator, start);
                    break;
                case CorrelationAttribute.SyscallTraceId:
                    AddInt64(batch, key, IndexKind.SyscallTraceId, minute, attribute, locator, start);
                    break;
                case CorrelationAttribute.XRequestId:
                    if (attribute.Kind == WireValueKind.String && attribute.Bytes.Length > 0)
                    {
                        AddString(batch, key, IndexKind.XRequestId, minute, attribute.Bytes, locator, start);
                    }

                    break;
                case CorrelationAttribute.ThreadId:
                    _ = attribute.TryGetInt64(out threadId);
                    break;
                case CorrelationAttribute.PseudoThreadId:
                    _ = attribute.TryGetInt64(out pseudoThreadId);
                    break;
                case CorrelationAttribute.ProcessPid:
                    if (attribute.TryGetInt64(out long spanPid))
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

    /// <summary>
    /// Values are indexed as the UTF-8 of the decoded string, so readers can build keys from strings: invalid UTF-8
    /// (which protobuf decodes with replacement characters) is re-encoded the same way. Valid input is used as is.
    /// </summary>
    private static ReadOnlySpan<byte> ValidUtf8(ReadOnlySpan<byte> bytes) =>
        Utf8.IsValid(bytes) ? bytes : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes));

    private static ReadOnlySpan<byte> KindName(int kind) => kind switch
    {
        1 => "internal"u8,
        2 => "server"u8,
        3 => "client"u8,
        4 => "producer"u8,
        5 => "consumer"u8,
        _ => "unspecified"u8,
    };

    private static CorrelationAttribute KeyOf(ReadOnlySpan<byte> key)
    {
        // Cheap length/first-byte filter first: most attributes are not correlation keys.
        if (key.Length < 9 || key.Length > 21)
        {
            return CorrelationAttribute.None;
        }

        return key switch
        {
            _ when key.SequenceEqual("tcp.req_seq"u8) => CorrelationAttribute.TcpReqSeq,
            _ when key.SequenceEqual("tcp.resp_seq"u8) => CorrelationAttribute.TcpRespSeq,
            _ when key.SequenceEqual("syscall.trace_id.req"u8) || key.SequenceEqual("syscall.trace_id.resp"u8) => CorrelationAttribute.SyscallTraceId,
            _ when key.SequenceEqual("x_request_id.req"u8) || key.SequenceEqual("x_request_id.resp"u8) => CorrelationAttribute.XRequestId,
            _ when key.SequenceEqual("thread.id"u8) => CorrelationAttribute.ThreadId,
            _ when key.SequenceEqual("pseudo_thread.id"u8) => CorrelationAttribute.PseudoThreadId,
            _ when key.SequenceEqual("process.pid"u8) => CorrelationAttribute.ProcessPid,
            _ => CorrelationAttribute.None,
        };
    }

    private static void AddInt64(PostingBatch batch, Span<byte> key, IndexKind kind, long minute, in WireKeyValue attribute, long locator, long start)
    {
        if (attribute.TryGetInt64(out long number))
        {
            Span<byte> value = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(value, number);
            Add(batch, key, kind, minute, value, locator, start);
        }
    }

    private static void AddString(PostingBatch batch, Span<byte> key, IndexKind kind, long minute, ReadOnlySpan<byte> utf8, long locator, long start) =>
        Add(batch, key, kind, minute, ValidUtf8(utf8), locator, start);

    private static void Add(PostingBatch batch, Span<byte> key, IndexKind kind, long minute, ReadOnlySpan<byte> value, long locator, long start)
    {
        int length = IndexKeys.Build(key, kind, minute, value);
        batch.Add(key[..length], locator, start);
    }

    private enum CorrelationAttribute
    {
        None,
        TcpReqSeq,
        TcpRespSeq,
        SyscallTraceId,
        XRequestId,
        ThreadId,
        PseudoThreadId,
        ProcessPid,
    }
}
