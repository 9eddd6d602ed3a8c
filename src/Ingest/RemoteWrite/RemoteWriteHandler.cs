using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;

using Google.Protobuf;

using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

using Snappier;

using TraceLink.Storage.Metadata;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Ingest.RemoteWrite;

/// <summary>
/// Decodes remote-write 1.0 (<c>prometheus.WriteRequest</c>) and 2.0 (<c>io.prometheus.write.v2.Request</c>)
/// and appends them as one batch. 204 only after the store has committed the batch to its WAL.
/// </summary>
internal sealed partial class RemoteWriteHandler(ISeriesStore store, RemoteWriteOptions options, ILogger logger, MetricMetadataStore? metadata = null)
{
    internal const string V2Proto = "io.prometheus.write.v2.Request";
    private const string V1Proto = "prometheus.WriteRequest";
    private const int MaxPooledDecoders = 64;

    // Decoders and their appenders are reused across requests so steady-state ingest allocates nothing per sample.
    private readonly ConcurrentQueue<RemoteWriteDecoder> _decoders = new();

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        byte[]? body = null;
        byte[]? decoded = null;
        RemoteWriteDecoder? decoder = null;
        bool committed = false;
        bool v2 = false;
        try
        {
            v2 = ParseContentType(request.ContentType);
            string? encoding = request.Headers.ContentEncoding;
            if (!string.IsNullOrEmpty(encoding) && !string.Equals(encoding, "snappy", StringComparison.OrdinalIgnoreCase))
            {
                throw new RemoteWriteRejection(StatusCodes.Status415UnsupportedMediaType, "unsupported Content-Encoding " + encoding + "; only snappy is accepted");
            }

            if (request.ContentLength > options.MaxBodyBytes)
            {
                throw new RemoteWriteRejection(StatusCodes.Status413PayloadTooLarge, "request body larger than " + options.MaxBodyBytes + " bytes");
            }

            (body, int length) = await ReadBodyAsync(request.Body, context.RequestAborted).ConfigureAwait(false);
            int decodedLength = Decompress(body.AsSpan(0, length), out decoded);
            decoder = Rent();
            var appender = decoder.Appender ??= KeyAppender(store.Appender());
            var counts = v2
                ? decoder.DecodeV2(decoded.AsSpan(0, decodedLength), appender)
                : decoder.DecodeV1(decoded.AsSpan(0, decodedLength), appender);
            await appender.CommitAsync(context.RequestAborted).ConfigureAwait(false);
            committed = true;
            RemoteWriteMetadata.Record(metadata, decoded.AsSpan(0, decodedLength), decoder.Metadata);
            if (v2)
            {
                SetWrittenHeaders(response, counts);
            }

            response.StatusCode = StatusCodes.Status204NoContent;
        }
        catch (RemoteWriteRejection e)
        {
            await RejectAsync(context, e.StatusCode, e.Message, v2).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            // ProtoReader's malformed-input signal; the message already says "invalid protobuf".
            await RejectAsync(context, StatusCodes.Status400BadRequest, e.Message, v2).ConfigureAwait(false);
        }
        catch (InvalidProtocolBufferException e)
        {
            await RejectAsync(context, StatusCodes.Status400BadRequest, "invalid protobuf: " + e.Message, v2).ConfigureAwait(false);
        }
        catch (TsdbAppendException e)
        {
            await RejectAsync(context, StatusCodes.Status400BadRequest, e.Message, v2).ConfigureAwait(false);
        }
        catch (IOException e) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Disk trouble may clear; 503 makes Prometheus retry instead of dropping the batch.
            LogStorageError(logger, e);
            await RejectAsync(context, StatusCodes.Status503ServiceUnavailable, "storage unavailable: " + e.Message, v2).ConfigureAwait(false);
        }
        finally
        {
            if (body is not null)
            {
                ArrayPool<byte>.Shared.Return(body);
            }

            if (decoded is not null)
            {
                ArrayPool<byte>.Shared.Return(decoded);
            }

            if (decoder is not null)
            {
                Return(decoder, committed);
            }
        }
    }

    /// <summary>Returns true for 2.0; throws a 415 rejection for any other media type or proto.</summary>
    internal static bool ParseContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return false;
        }

        var parts = contentType.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || !string.Equals(parts[0], "application/x-protobuf", StringComparison.OrdinalIgnoreCase))
        {
            throw new RemoteWriteRejection(StatusCodes.Status415UnsupportedMediaType, "unsupported Content-Type " + contentType);
        }

        for (int i = 1; i < parts.Length; i++)
        {
            int eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && string.Equals(parts[i][..eq].Trim(), "proto", StringComparison.OrdinalIgnoreCase))
            {
                string proto = parts[i][(eq + 1)..].Trim().Trim('"');
                return proto switch
                {
                    V1Proto => false,
                    V2Proto => true,
                    _ => throw new RemoteWriteRejection(StatusCodes.Status415UnsupportedMediaType, "unsupported proto " + proto),
                };
            }
        }

        return false;
    }

    private async Task<(byte[] Buffer, int Length)> ReadBodyAsync(Stream body, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 << 10);
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > options.MaxBodyBytes)
                    {
                        throw new RemoteWriteRejection(StatusCodes.Status413PayloadTooLarge, "request body larger than " + options.MaxBodyBytes + " bytes");
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                int n = await body.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                length += n;
            }

            if (length > options.MaxBodyBytes)
            {
                throw new RemoteWriteRejection(StatusCodes.Status413PayloadTooLarge, "request body larger than " + options.MaxBodyBytes + " bytes");
            }

            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private int Decompress(ReadOnlySpan<byte> compressed, out byte[] decoded)
    {
        // The framed format starts with a stream identifier chunk; Prometheus sends the block format only.
        if (compressed.Length >= 10 && compressed[0] == 0xFF && compressed[4..10].SequenceEqual("sNaPpY"u8))
        {
            throw new RemoteWriteRejection(StatusCodes.Status400BadRequest, "snappy framed format is not accepted; send the block format");
        }

        int length;
        try
        {
            length = Snappy.GetUncompressedLength(compressed);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            throw new RemoteWriteRejection(StatusCodes.Status400BadRequest, "invalid snappy block: " + e.Message);
        }

        if (length < 0 || length > options.MaxDecodedBytes)
        {
            throw new RemoteWriteRejection(StatusCodes.Status400BadRequest, "decoded body larger than " + options.MaxDecodedBytes + " bytes");
        }

        decoded = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            return Snappy.Decompress(compressed, decoded);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            throw new RemoteWriteRejection(StatusCodes.Status400BadRequest, "invalid snappy block: " + e.Message);
        }
    }

    private static ISeriesKeyAppender KeyAppender(ISampleAppender appender) => appender as ISeriesKeyAppender ?? new LabelListAppender(appender);

    private RemoteWriteDecoder Rent() => _decoders.TryDequeue(out var d) ? d : new RemoteWriteDecoder();

    private void Return(RemoteWriteDecoder decoder, bool committed)
    {
        // An appender that saw a failed request may hold half a batch; only a committed one is known empty.
        if (!committed)
        {
            decoder.Appender = null;
        }

        if (_decoders.Count < MaxPooledDecoders)
        {
            _decoders.Enqueue(decoder);
        }
    }

    private static void SetWrittenHeaders(HttpResponse response, WrittenCounts counts)
    {
        response.Headers["X-Prometheus-Remote-Write-Samples-Written"] = counts.Samples.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-Prometheus-Remote-Write-Histograms-Written"] = counts.Histograms.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-Prometheus-Remote-Write-Exemplars-Written"] = counts.Exemplars.ToString(CultureInfo.InvariantCulture);
    }

    private async Task RejectAsync(HttpContext context, int status, string message, bool v2)
    {
        LogRejected(logger, status, message);
        var response = context.Response;
        response.StatusCode = status;
        if (v2)
        {
            // Nothing of a rejected request is stored, so the written counts are zero.
            SetWrittenHeaders(response, default);
        }

        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(message + "\n", context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Remote write rejected with {Status}: {Reason}")]
    private static partial void LogRejected(ILogger logger, int status, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Remote write failed in storage")]
    private static partial void LogStorageError(ILogger logger, Exception exception);
}
