using System.Buffers.Binary;

using Google.Protobuf;

using Microsoft.AspNetCore.Http;

using Prometheus;

using Snappier;

using TraceLink.Storage.Tsdb;

using StoreHistogram = TraceLink.Storage.Tsdb.Histogram;
using StoreLabel = TraceLink.Storage.Tsdb.Label;
using StoreMatcher = TraceLink.Storage.Tsdb.LabelMatcher;

namespace TraceLink.Query.RemoteRead;

/// <summary>Answers remote-read requests: SAMPLES (snappy protobuf) or STREAMED_XOR_CHUNKS (CRC-framed chunks).</summary>
internal sealed class RemoteReadHandler(ISeriesStore store, RemoteReadOptions options)
{
    internal const string StreamedContentType = "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";

    public async Task HandleAsync(HttpContext context)
    {
        ReadRequest request;
        List<List<StoreMatcher>> matchers;
        try
        {
            using var ms = new MemoryStream();
            await context.Request.Body.CopyToAsync(ms, context.RequestAborted).ConfigureAwait(false);
            var compressed = ms.GetBuffer().AsSpan(0, (int)ms.Length);
            int length = Snappy.GetUncompressedLength(compressed);
            if (length < 0 || length > options.MaxDecodedBytes)
            {
                await BadRequestAsync(context, "decoded request too large").ConfigureAwait(false);
                return;
            }

            var decoded = new byte[length];
            int n = Snappy.Decompress(compressed, decoded);
            request = ReadRequest.Parser.ParseFrom(decoded.AsSpan(0, n));
            matchers = new List<List<StoreMatcher>>(request.Queries.Count);
            foreach (var q in request.Queries)
            {
                matchers.Add(ToMatchers(q.Matchers));
            }
        }
        catch (Exception e) when (e is InvalidDataException or InvalidProtocolBufferException or ArgumentException or IndexOutOfRangeException)
        {
            await BadRequestAsync(context, "invalid remote-read request: " + e.Message).ConfigureAwait(false);
            return;
        }

        if (Negotiate(request) == ReadRequest.Types.ResponseType.StreamedXorChunks)
        {
            await StreamAsync(context, request, matchers).ConfigureAwait(false);
        }
        else
        {
            await SamplesAsync(context, request, matchers).ConfigureAwait(false);
        }
    }

    internal static ReadRequest.Types.ResponseType Negotiate(ReadRequest request) =>
        request.AcceptedResponseTypes.Count == 0 ? ReadRequest.Types.ResponseType.Samples : request.AcceptedResponseTypes[0];

    private static List<StoreMatcher> ToMatchers(Google.Protobuf.Collections.RepeatedField<Prometheus.LabelMatcher> matchers)
    {
        var list = new List<StoreMatcher>(matchers.Count);
        foreach (var m in matchers)
        {
            var type = m.Type switch
            {
                Prometheus.LabelMatcher.Types.Type.Eq => TraceLink.Storage.Tsdb.MatchType.Equal,
                Prometheus.LabelMatcher.Types.Type.Neq => TraceLink.Storage.Tsdb.MatchType.NotEqual,
                Prometheus.LabelMatcher.Types.Type.Re => TraceLink.Storage.Tsdb.MatchType.Regex,
                Prometheus.LabelMatcher.Types.Type.Nre => TraceLink.Storage.Tsdb.MatchType.NotRegex,
                _ => throw new ArgumentException("unknown matcher type " + m.Type),
            };
            list.Add(new StoreMatcher(type, m.Name, m.Value));
        }

        return list;
    }

    private async Task SamplesAsync(HttpContext context, ReadRequest request, List<List<StoreMatcher>> matchers)
    {
        var response = new ReadResponse();
        long total = 0;
        for (int qi = 0; qi < request.Queries.Count; qi++)
        {
            var q = request.Queries[qi];
            var result = new QueryResult();
            foreach (var series in store.Select(q.StartTimestampMs, q.EndTimestampMs, matchers[qi]))
            {
                var ts = new TimeSeries();
                AddLabels(ts.Labels, series.Labels);
                var it = series.Iterator();
                SampleValueType type;
                while ((type = it.Next()) != SampleValueType.None)
                {
                    long t = it.AtTimestamp;
                    if (t < q.StartTimestampMs || t > q.EndTimestampMs)
                    {
                        continue;
                    }

                    if (++total > options.SampleLimit)
                    {
                        await BadRequestAsync(context, "exceeded sample limit (" + options.SampleLimit + ")").ConfigureAwait(false);
                        return;
                    }

                    switch (type)
                    {
                        case SampleValueType.Float: ts.Samples.Add(new Sample { Timestamp = t, Value = it.AtFloat }); break;
                        case SampleValueType.Histogram: ts.Histograms.Add(ProtoHistograms.ToProto(it.AtHistogram(), t)); break;
                        default: ts.Histograms.Add(ProtoHistograms.ToProto(it.AtFloatHistogram(), t)); break;
                    }
                }

                if (ts.Samples.Count > 0 || ts.Histograms.Count > 0)
                {
                    result.Timeseries.Add(ts);
                }
            }

            response.Results.Add(result);
        }

        var raw = response.ToByteArray();
        var compressed = Snappy.CompressToArray(raw);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-protobuf";
        context.Response.Headers.ContentEncoding = "snappy";
        await context.Response.Body.WriteAsync(compressed, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task StreamAsync(HttpContext context, ReadRequest request, List<List<StoreMatcher>> matchers)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = StreamedContentType;
        var header = new byte[14];
        for (int qi = 0; qi < request.Queries.Count; qi++)
        {
            var q = request.Queries[qi];
            foreach (var series in store.Select(q.StartTimestampMs, q.EndTimestampMs, matchers[qi]))
            {
                var chunks = PrometheusChunks.Encode(series.Iterator());
                int i = 0;
                while (i < chunks.Count)
                {
                    var cs = new ChunkedSeries();
                    AddLabels(cs.Labels, series.Labels);
                    int bytes = 0;
                    do
                    {
                        var c = chunks[i++];
                        cs.Chunks.Add(new Chunk { MinTimeMs = c.MinTimeMs, MaxTimeMs = c.MaxTimeMs, Type = (Chunk.Types.Encoding)c.Encoding, Data = ByteString.CopyFrom(c.Data) });
                        bytes += c.Data.Length;
                    }
                    while (i < chunks.Count && bytes < options.MaxBytesInFrame);

                    var frame = new ChunkedReadResponse { QueryIndex = qi };
                    frame.ChunkedSeries.Add(cs);
                    var msg = frame.ToByteArray();
                    int h = WriteUVarint(header, (ulong)msg.Length);
                    BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(h), Crc32C.Compute(msg));
                    await response.Body.WriteAsync(header.AsMemory(0, h + 4), context.RequestAborted).ConfigureAwait(false);
                    await response.Body.WriteAsync(msg, context.RequestAborted).ConfigureAwait(false);
                    await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                }
            }
        }
    }

    private static int WriteUVarint(byte[] buffer, ulong v)
    {
        int i = 0;
        while (v >= 0x80)
        {
            buffer[i++] = (byte)(v | 0x80);
            v >>= 7;
        }

        buffer[i++] = (byte)v;
        return i;
    }

    private static void AddLabels(Google.Protobuf.Collections.RepeatedField<Prometheus.Label> target, IReadOnlyList<StoreLabel> labels)
    {
        for (int i = 0; i < labels.Count; i++)
        {
            target.Add(new Prometheus.Label { Name = labels[i].Name, Value = labels[i].Value });
        }
    }

    private static async Task BadRequestAsync(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message + "\n", context.RequestAborted).ConfigureAwait(false);
    }
}
