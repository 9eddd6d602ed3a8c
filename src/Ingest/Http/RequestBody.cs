using System.Buffers;
using System.IO.Compression;

using Microsoft.AspNetCore.Http;

namespace TraceLink.Ingest.Http;

/// <summary>
/// Reads a request body into a pooled buffer, enforcing a size limit on the decoded bytes and undoing
/// <c>Content-Encoding: gzip</c>. Shared by every ingest endpoint.
/// </summary>
public static class RequestBody
{
    /// <summary>
    /// Reads the whole body. Returns null and writes the error response (413 over the limit, 415 for an
    /// unknown content encoding, 400 for a corrupt gzip stream) when the body cannot be used.
    /// The caller must return the buffer with <see cref="PooledBody.Dispose"/>.
    /// </summary>
    public static async Task<PooledBody?> ReadAsync(HttpContext context, long limitBytes)
    {
        var request = context.Request;
        if (request.ContentLength > limitBytes)
        {
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"request body of {request.ContentLength} bytes exceeds the limit of {limitBytes} bytes");
            return null;
        }

        var encoding = request.Headers.ContentEncoding.ToString();
        Stream source = request.Body;
        if (encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
        {
            source = new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true);
        }
        else if (encoding.Length != 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await WriteErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, $"unsupported Content-Encoding \"{encoding}\"");
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is > 0 and < 1 << 20 ? (int)request.ContentLength.Value + 1 : 64 * 1024);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= limitBytes)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"request body exceeds the limit of {limitBytes} bytes");
                        return null;
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limitBytes + 1, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await source.ReadAsync(buffer.AsMemory(length, (int)Math.Min(buffer.Length - length, limitBytes + 1 - length)), context.RequestAborted);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limitBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"request body exceeds the limit of {limitBytes} bytes");
                    return null;
                }
            }
        }
        catch (InvalidDataException e)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "corrupt gzip body: " + e.Message);
            return null;
        }
        finally
        {
            if (!ReferenceEquals(source, request.Body))
            {
                await source.DisposeAsync();
            }
        }

        return new PooledBody(buffer, length);
    }

    /// <summary>Writes a plain-text error, the form Prometheus and Tempo clients print verbatim.</summary>
    public static Task WriteErrorAsync(HttpContext context, int statusCode, string message)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }
}
