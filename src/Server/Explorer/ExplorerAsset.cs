using Microsoft.Extensions.Primitives;

namespace TraceLink.Server.Explorer;

/// <summary>One embedded Explorer file with its pre-compressed forms, built once at first request.</summary>
internal sealed class ExplorerAsset
{
    public ExplorerAsset(string contentType, byte[] identity, byte[]? gzip, byte[]? brotli, string etag)
    {
        ContentType = contentType;
        Identity = identity;
        Gzip = gzip;
        Brotli = brotli;
        ETag = etag;
    }

    public string ContentType { get; }

    public byte[] Identity { get; }

    /// <summary>Gzip form, or null when compression would not make the file smaller.</summary>
    public byte[]? Gzip { get; }

    /// <summary>Brotli form, or null when compression would not make the file smaller.</summary>
    public byte[]? Brotli { get; }

    public string ETag { get; }

    /// <summary>Picks the smallest form the client accepts; the encoding is null for the identity form.</summary>
    public (byte[] Body, string? Encoding) Select(StringValues acceptEncoding)
    {
        var br = false;
        var gzip = false;
        foreach (var header in acceptEncoding)
        {
            if (header is null)
            {
                continue;
            }

            foreach (var part in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var semicolon = part.IndexOf(';', StringComparison.Ordinal);
                var token = semicolon < 0 ? part : part[..semicolon].TrimEnd();
                if (semicolon >= 0 && IsZeroQuality(part.AsSpan(semicolon + 1)))
                {
                    continue;
                }

                br |= token.Equals("br", StringComparison.OrdinalIgnoreCase);
                gzip |= token.Equals("gzip", StringComparison.OrdinalIgnoreCase);
            }
        }

        if (br && Brotli is not null)
        {
            return (Brotli, "br");
        }

        return gzip && Gzip is not null ? (Gzip, "gzip") : (Identity, null);
    }

    private static bool IsZeroQuality(ReadOnlySpan<char> parameters)
    {
        var trimmed = parameters.Trim();
        if (!trimmed.StartsWith("q=", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var value = trimmed[2..].Trim();
        return double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var q) && q <= 0;
    }
}
