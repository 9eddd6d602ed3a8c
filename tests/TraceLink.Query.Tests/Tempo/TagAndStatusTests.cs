using System.Net;
using System.Text.Json.Nodes;

namespace TraceLink.Query.Tests.Tempo;

public sealed class TagAndStatusTests(TempoApiFixture fixture) : IClassFixture<TempoApiFixture>
{
    private readonly HttpClient _client = fixture.Client;

    private async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await _client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!;
    }

    [Fact]
    public async Task V1_tag_names_merge_resource_and_span_attributes()
    {
        Assert.Equal(
            """{"tagNames":["db.system","http.method","http.status_code","service.name","tags"],"metrics":{}}""",
            (await GetJsonAsync("/api/search/tags")).ToJsonString());
    }

    [Fact]
    public async Task V2_tag_names_have_resource_span_and_the_tempo_intrinsic_list()
    {
        var scopes = (await GetJsonAsync("/api/v2/search/tags?limit=5000")).AsObject()["scopes"]!.AsArray();

        Assert.Equal(["resource", "span", "intrinsic"], scopes.Select(s => s!["name"]!.GetValue<string>()));
        Assert.Equal("""["service.name"]""", scopes[0]!["tags"]!.ToJsonString());
        Assert.Equal("""["db.system","http.method","http.status_code","tags"]""", scopes[1]!["tags"]!.ToJsonString());
        var intrinsics = scopes[2]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray();
        Assert.Equal(25, intrinsics.Length);
        Assert.Contains("traceDuration", intrinsics);
        Assert.Contains("trace:rootService", intrinsics);
    }

    [Fact]
    public async Task V2_tag_names_honour_scope_and_reject_unknown_scopes()
    {
        var scopes = (await GetJsonAsync("/api/v2/search/tags?scope=resource"))["scopes"]!.AsArray();
        Assert.Equal("""[{"name":"resource","tags":["service.name"]}]""", scopes.ToJsonString());

        using var bad = await _client.GetAsync("/api/v2/search/tags?scope=spans");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("invalid scope: spans", await bad.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("resource.service.name", """[{"type":"string","value":"cart"},{"type":"string","value":"checkout"}]""")]
    [InlineData("span.http.status_code", """[{"type":"int","value":"200"},{"type":"int","value":"500"}]""")]
    [InlineData(".http.method", """[{"type":"string","value":"POST"}]""")]
    [InlineData("status", """[{"type":"keyword","value":"error"},{"type":"keyword","value":"ok"},{"type":"keyword","value":"unset"}]""")]
    [InlineData("span:kind", """[{"type":"keyword","value":"client"},{"type":"keyword","value":"consumer"},{"type":"keyword","value":"internal"},{"type":"keyword","value":"producer"},{"type":"keyword","value":"server"},{"type":"keyword","value":"unspecified"}]""")]
    [InlineData("name", """[{"type":"string","value":"GET /cart"},{"type":"string","value":"GET /items"},{"type":"string","value":"POST /orders"},{"type":"string","value":"SELECT orders"}]""")]
    [InlineData("rootServiceName", """[{"type":"string","value":"cart"},{"type":"string","value":"checkout"}]""")]
    [InlineData("duration", "[]")]
    [InlineData("event:name", "[]")]
    public async Task V2_tag_values_are_typed(string tag, string expected)
    {
        var result = await GetJsonAsync("/api/v2/search/tag/" + Uri.EscapeDataString(tag) + "/values");
        Assert.Equal(expected, result["tagValues"]!.ToJsonString());
    }

    [Theory]
    [InlineData("app.user.id")]
    [InlineData("foo")]
    public async Task V2_tag_values_reject_unscoped_names(string tag)
    {
        using var response = await _client.GetAsync("/api/v2/search/tag/" + tag + "/values");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(
            "please provide a valid tagName: tag name is not valid intrinsic or scoped attribute",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task V1_tag_values_take_bare_names()
    {
        Assert.Equal("""["cart","checkout"]""", (await GetJsonAsync("/api/search/tag/service.name/values"))["tagValues"]!.ToJsonString());
        Assert.Equal("""["error","ok","unset"]""", (await GetJsonAsync("/api/search/tag/status.code/values"))["tagValues"]!.ToJsonString());
        Assert.Equal("""["cart"]""", (await GetJsonAsync("/api/search/tag/service.name/values?limit=1"))["tagValues"]!.ToJsonString());
    }

    [Fact]
    public async Task Echo_answers_200_for_any_method()
    {
        using var get = await _client.GetAsync("/api/echo");
        using var post = await _client.PostAsync("/api/echo", null);

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("echo\n", await get.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
    }

    [Fact]
    public async Task Buildinfo_reports_a_tempo_version_grafana_accepts()
    {
        var info = (await GetJsonAsync("/api/status/buildinfo")).AsObject();

        Assert.Equal(["version", "revision", "branch", "buildUser", "buildDate", "goVersion"], info.Select(p => p.Key));
        Assert.Equal("2.9.0", info["version"]!.GetValue<string>());
    }
}
