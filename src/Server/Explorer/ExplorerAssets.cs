using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace TraceLink.Server.Explorer;

/// <summary>
/// The Explorer's embedded files (logical names <c>Explorer/…</c>), compressed once, plus the shell page with
/// the bundle version written into its asset URLs so assets can be cached for a year.
/// </summary>
internal sealed class ExplorerAssets
{
    private const string ResourcePrefix = "Explorer/";
    private const string ShellName = "index.html";
    private const string VersionPlaceholder = "{{version}}";

    private readonly Dictionary<string, ExplorerAsset> _files;

    private ExplorerAssets(Dictionary<string, ExplorerAsset> files, ExplorerAsset shell, string version)
    {
        _files = files;
        Shell = shell;
        Version = version;
    }

    /// <summary>The page every route returns; its script and style URLs carry <see cref="Version"/>.</summary>
    public ExplorerAsset Shell { get; }

    /// <summary>Hash of every embedded file: changes whenever any asset changes.</summary>
    public string Version { get; }

    public bool TryGet(string path, out ExplorerAsset asset) => _files.TryGetValue(path, out asset!);

    public static ExplorerAssets Load()
    {
        var assembly = typeof(ExplorerAssets).Assembly;
        var raw = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                raw[name[ResourcePrefix.Length..].Replace('\\', '/')] = Read(assembly, name);
            }
        }

        if (!raw.TryGetValue(ShellName, out var shellTemplate))
        {
            throw new InvalidOperationException($"The Explorer shell {ResourcePrefix}{ShellName} is not embedded in {assembly.GetName().Name}.");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, bytes) in raw)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            hash.AppendData(bytes);
        }

        var version = Convert.ToHexStringLower(hash.GetHashAndReset())[..12];
        var files = new Dictionary<string, ExplorerAsset>(StringComparer.Ordinal);
        foreach (var (name, bytes) in raw)
        {
            if (name != ShellName)
            {
                files[name] = Build(name, bytes);
            }
        }

        var shell = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(shellTemplate).Replace(VersionPlaceholder, version, StringComparison.Ordinal));
        return new ExplorerAssets(files, Build(ShellName, shell), version);
    }

    private static ExplorerAsset Build(string name, byte[] bytes)
    {
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + "\"";
        var gzip = Compress(bytes, static s => new GZipStream(s, CompressionLevel.SmallestSize, leaveOpen: true));
        var brotli = Compress(bytes, static s => new BrotliStream(s, CompressionLevel.SmallestSize, leaveOpen: true));
        return new ExplorerAsset(ContentTypeOf(name), bytes, gzip, brotli, etag);
    }

    private static byte[]? Compress(byte[] bytes, Func<Stream, Stream> open)
    {
        using var output = new MemoryStream();
        using (var compressor = open(output))
        {
            compressor.Write(bytes);
        }

        return output.Length < bytes.Length ? output.ToArray() : null;
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" => "application/json",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        _ => "application/octet-stream",
    };
}
