using Google.Protobuf;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Ingest.Http;

namespace TraceLink.Ingest.Otlp;

/// <summary>Maps the OTLP/HTTP trace receiver, <c>POST /v1/traces</c>.</summary>
public static class OtlpEndpoints
{
    private static readonly byte[] EmptyProtobufResponse = new ExportTraceServiceResponse().ToByteArray();

    /// <summary>
    /// Maps <c>POST /v1/traces</c> (protobuf or JSON, optionally gzip). The response is sent only after the
    /// spans are durable; malformed bodies get 400 and store nothing, oversized bodies 413.
    /// </summary>
    public static IEndpointConventionBuilder MapOtlpTraces(this IEndpointRouteBuilder endpoints, TraceIngestor ingestor, OtlpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return endpoints.MapPost("/v1/traces", context => HandleAsync(context, ingestor, options));
    }

    private static async Task HandleAsync(HttpContext context, TraceIngestor ingestor, OtlpOptions options)
    {
        var contentType = context.Request.ContentType ?? string.Empty;
        var json = contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase);
        if (!json && !contentType.StartsWith("application/x-protobuf", StringComparison.OrdinalIgnoreCase) && !contentType.StartsWith("application/protobuf", StringComparison.OrdinalIgnoreCase))
        {
            ingestor.CountRejected();
            await RequestBody.WriteErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, $"unsupported Content-Type \"{contentType}\": use application/x-protobuf or application/json");
            return;
        }

        using var body = await RequestBody.ReadAsync(context, options.MaxRequestBytes);
        if (body is null)
        {
            ingestor.CountRejected();
            return;
        }

        string? error;
        using var batch = json ? OtlpTraceDecoder.DecodeJson(body.Span, out error) : OtlpTraceDecoder.DecodeProtobuf(body.Memory, out error);
        if (batch is null)
        {
            ingestor.CountRejected();
            await RequestBody.WriteErrorAsync(context, StatusCodes.Status400BadRequest, error!);
            return;
        }

        try
        {
            // The batch reads the pooled body in place; it is returned only after ingest (and the observers) finished.
            await ingestor.IngestAsync(batch, body.Length, context.RequestAborted);
        }
        catch (InvalidDataException e)
        {
            // The store rejects a span it cannot hold (larger than a log page) before writing anything.
            ingestor.CountRejected();
            await RequestBody.WriteErrorAsync(context, StatusCodes.Status400BadRequest, e.Message);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        if (json)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{}", context.RequestAborted);
        }
        else
        {
            context.Response.ContentType = "application/x-protobuf";
            await context.Response.Body.WriteAsync(EmptyProtobufResponse, context.RequestAborted);
        }
    }
}
