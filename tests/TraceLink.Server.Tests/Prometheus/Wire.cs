using System.Buffers.Binary;

using Google.Protobuf;

using Prometheus;

using Snappier;

using TraceLink.Storage.Tsdb;

namespace TraceLink.Server.Tests.Prometheus;

/// <summary>Client side of the Prometheus remote protocols, written from the contract.</summary>
internal static class Wire
{
    public static ByteArrayContent Body(byte[] raw, string contentType = "application/x-protobuf", bool compress = true)
    {
        var content = new ByteArrayContent(compress ? Snappy.CompressToArray(raw) : raw);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        content.Headers.ContentEncoding.Add("snappy");
        return content;
    }

    public static Task<HttpResponseMessage> WriteV1Async(HttpClient client, WriteRequest request) =>
        client.PostAsync(new Uri("/api/v1/write", UriKind.Relative), Body(request.ToByteArray()));

    public static Task<HttpResponseMessage> WriteV2Async(HttpClient client, Io.Prometheus.Write.V2.Request request) =>
        client.PostAsync(new Uri("/api/v1/write", UriKind.Relative), Body(request.ToByteArray(), "application/x-protobuf;proto=io.prometheus.write.v2.Request"));

    public static async Task<ReadResponse> ReadSamplesAsync(HttpClient client, ReadRequest request)
    {
        request.AcceptedResponseTypes.Clear();
        request.AcceptedResponseTypes.Add(ReadRequest.Types.ResponseType.Samples);
        using var response = await client.PostAsync(new Uri("/api/v1/read", UriKind.Relative), Body(request.ToByteArray()));
        response.EnsureSuccessStatusCode();
        Assert.Equal("snappy", response.Content.Headers.ContentEncoding.Single());
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return ReadResponse.Parser.ParseFrom(Snappy.DecompressToArray(bytes));
    }

    public static async Task<List<ChunkedReadResponse>> ReadStreamedAsync(HttpClient client, ReadRequest request)
    {
        request.AcceptedResponseTypes.Clear();
        request.AcceptedResponseTypes.Add(ReadRequest.Types.ResponseType.StreamedXorChunks);
        request.AcceptedResponseTypes.Add(ReadRequest.Types.ResponseType.Samples);
        using var response = await client.PostAsync(new Uri("/api/v1/read", UriKind.Relative), Body(request.ToByteArray()));
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse", response.Content.Headers.GetValues("Content-Type").Single(), StringComparison.Ordinal);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var frames = new List<ChunkedReadResponse>();
        int pos = 0;
        while (pos < bytes.Length)
        {
            ulong len = 0;
            int shift = 0;
            byte b;
            do
            {
                b = bytes[pos++];
                len |= (ulong)(b & 0x7F) << shift;
                shift += 7;
            }
            while (b >= 0x80);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(pos));
            pos += 4;
            var msg = bytes.AsSpan(pos, (int)len);
            Assert.Equal(crc, Crc32C.Compute(msg));
            frames.Add(ChunkedReadResponse.Parser.ParseFrom(msg));
            pos += (int)len;
        }

        return frames;
    }
}
