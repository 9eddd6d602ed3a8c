using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace TraceLink.Server.Explorer;

/// <summary>
/// Maps the Explorer, the built-in web page that reads the server's own Prometheus, Tempo and log APIs:
/// page routes return the single-page shell, assets live under <c>/ui/{version}/</c> with immutable caching.
/// </summary>
public static class ExplorerEndpoints
{
    /// <summary>Page routes that return the shell; each is a shareable URL the page's router understands.</summary>
    public static readonly IReadOnlyList<string> PageRoutes = ["/", "/search", "/trace/{traceId}", "/explore/metrics"];

    // The shell may not load anything from elsewhere and may not run inline script: even if a span body
    // slipped past the text-only rendering it could not execute.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly Lazy<ExplorerAssets> Assets = new(ExplorerAssets.Load);

    /// <summary>Maps the Explorer's page routes and asset routes.</summary>
    public static IEndpointRouteBuilder MapExplorer(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        foreach (var route in PageRoutes)
        {
            endpoints.MapGet(route, WriteShellAsync).ExcludeFromDescription();
        }

        endpoints.MapGet("/ui/{version}/{**path}", WriteAssetAsync).ExcludeFromDescription();
        return endpoints;
    }

    private static Task WriteShellAsync(HttpContext context)
    {
        var assets = Assets.Value;
        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        return WriteAsync(context, assets.Shell, assets.Shell.ETag);
    }

    private static Task WriteAssetAsync(HttpContext context, string version, string path)
    {
        var assets = Assets.Value;
        if (!assets.TryGet(path, out var asset))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";

        // Only the current bundle version is immutable; an old page asking for an old version gets
        // today's file revalidated, never a year-long cache of mismatched code.
        headers.CacheControl = string.Equals(version, assets.Version, StringComparison.Ordinal)
            ? "public, max-age=31536000, immutable"
            : "no-cache";
        return WriteAsync(context, asset, asset.ETag);
    }

    private static async Task WriteAsync(HttpContext context, ExplorerAsset asset, string etag)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers.ETag = etag;
        response.Headers.Vary = HeaderNames.AcceptEncoding;
        if (request.Headers.IfNoneMatch.Contains(etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.ContentType = asset.ContentType;
        var (body, encoding) = asset.Select(request.Headers.AcceptEncoding);
        if (encoding is not null)
        {
            response.Headers.ContentEncoding = encoding;
        }

        response.ContentLength = body.Length;
        if (HttpMethods.IsHead(request.Method))
        {
            return;
        }

        await response.Body.WriteAsync(body, context.RequestAborted);
    }
}
