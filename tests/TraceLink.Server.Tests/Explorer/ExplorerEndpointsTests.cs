using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;

namespace TraceLink.Server.Tests.Explorer;

public sealed partial class ExplorerEndpointsTests : IAsyncLifetime
{
    private ExplorerHost _host = null!;

    private HttpClient Client => _host.Client;

    public async Task InitializeAsync() => _host = await ExplorerHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/")]
    [InlineData("/search?q=%7B%7D")]
    [InlineData("/trace/5b8efff798038103d269b633813fc60c")]
    [InlineData("/explore/metrics")]
    public async Task Every_page_route_returns_the_shell_with_a_script_only_from_self_policy(string path)
    {
        using var response = await Client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        var html = await response.Content.ReadAsStringAsync();
        Assert.Matches(AppScript(), html);
        Assert.DoesNotContain("{{version}}", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_prometheus_scrape_path_is_left_to_the_server()
    {
        using var response = await Client.GetAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("js/app.js", "text/javascript")]
    [InlineData("js/pages/trace.js", "text/javascript")]
    [InlineData("app.css", "text/css")]
    [InlineData("favicon.svg", "image/svg+xml")]
    public async Task Assets_of_the_current_version_are_immutable_with_their_content_type(string path, string mediaType)
    {
        var version = await CurrentVersionAsync();

        using var response = await Client.GetAsync(new Uri($"/ui/{version}/{path}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.Public);
        Assert.Equal(TimeSpan.FromDays(365), response.Headers.CacheControl?.MaxAge);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task An_asset_asked_for_under_another_version_is_served_but_revalidated()
    {
        using var response = await Client.GetAsync(new Uri("/ui/000000000000/js/app.js", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoCache);
    }

    [Fact]
    public async Task Unknown_assets_are_404()
    {
        var version = await CurrentVersionAsync();

        using var response = await Client.GetAsync(new Uri($"/ui/{version}/js/nope.js", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("br", "br")]
    [InlineData("gzip", "gzip")]
    [InlineData("gzip, deflate, br", "br")]
    [InlineData("br;q=0, gzip", "gzip")]
    [InlineData("identity", null)]
    public async Task Assets_are_sent_in_the_best_encoding_the_client_accepts(string acceptEncoding, string? expected)
    {
        var version = await CurrentVersionAsync();
        using var plain = await Client.GetAsync(new Uri($"/ui/{version}/js/pages/trace.js", UriKind.Relative));
        var identity = await plain.Content.ReadAsByteArrayAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ui/{version}/js/pages/trace.js");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);

        using var response = await Client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(expected, response.Content.Headers.ContentEncoding.SingleOrDefault());
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        var decoded = expected switch
        {
            "br" => Decompress(body, s => new BrotliStream(s, CompressionMode.Decompress)),
            "gzip" => Decompress(body, s => new GZipStream(s, CompressionMode.Decompress)),
            _ => body,
        };
        Assert.Equal(identity, decoded);
        if (expected is not null)
        {
            Assert.True(body.Length < identity.Length / 2, $"{expected} body {body.Length} bytes for {identity.Length} bytes of source");
        }
    }

    [Fact]
    public async Task A_matching_etag_gets_304()
    {
        var version = await CurrentVersionAsync();
        using var first = await Client.GetAsync(new Uri($"/ui/{version}/app.css", UriKind.Relative));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ui/{version}/app.css");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);

        using var second = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Fact]
    public async Task No_script_writes_html_from_strings()
    {
        // The rendering rule (untrusted data only through text nodes) checked over every shipped script.
        var version = await CurrentVersionAsync();
        string[] scripts = ["js/app.js", "js/dom.js", "js/api.js", "js/nav.js", "js/chart.js", "js/otlp.js", "js/format.js", "js/promql.js",
            "js/pages/overview.js", "js/pages/search.js", "js/pages/trace.js", "js/pages/metrics.js"];
        foreach (var script in scripts)
        {
            var text = await Client.GetStringAsync(new Uri($"/ui/{version}/{script}", UriKind.Relative));
            foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "createContextualFragment" })
            {
                Assert.False(text.Contains(sink, StringComparison.Ordinal), $"{script} uses {sink}");
            }
        }
    }

    private async Task<string> CurrentVersionAsync()
    {
        var html = await Client.GetStringAsync(new Uri("/", UriKind.Relative));
        return AppScript().Match(html).Groups[1].Value;
    }

    private static byte[] Decompress(byte[] body, Func<Stream, Stream> open)
    {
        using var input = new MemoryStream(body);
        using var decompressor = open(input);
        using var output = new MemoryStream();
        decompressor.CopyTo(output);
        return output.ToArray();
    }

    [GeneratedRegex("src=\"/ui/([0-9a-f]{12})/js/app\\.js\"", RegexOptions.None)]
    private static partial Regex AppScript();
}
