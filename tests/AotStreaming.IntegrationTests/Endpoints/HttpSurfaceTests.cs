using System.Net;
using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Endpoints;

/// <summary>Reference §2.1–§2.4: the plain HTTP surface.</summary>
public sealed class HttpSurfaceTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly StreamingServer _server = fixture.Server;

    private HttpClient Http() => new() { BaseAddress = _server.HttpBase };

    [Fact]
    public async Task Health_Get_ReturnsOkPlainTextNoStore_Section2_2()
    {
        using var http = Http();

        using var response = await http.GetAsync("/api/v1/streaming/health").DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("private, no-store", response.Headers.NonValidated["Cache-Control"].ToString());
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.True(Guid.TryParse(response.Headers.GetValues("X-Request-Id").Single(), out _));
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Favicon_Get_Returns404WithEmptyBodyAndNoContentType_Section2_2()
    {
        using var http = Http();

        using var response = await http.GetAsync("/favicon.ico").DefaultTimeout();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, response.Content.Headers.ContentLength);
        Assert.Null(response.Content.Headers.ContentType);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/api/v1/streaming")]
    [InlineData("/api/v1/streaming/user/")]
    [InlineData("/foo")]
    public async Task UnknownPath_WithoutToken_Returns400BeforeAuthentication_Section2_3(string path)
    {
        using var http = Http();

        using var response = await http.GetAsync(path).DefaultTimeout();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"error":"Unknown channel requested"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json", response.Content.Headers.ContentType!.ToString());
        Assert.True(response.Headers.TransferEncodingChunked);
    }

    [Fact]
    public async Task KnownPath_NoToken_Returns401MissingAccessToken_Section2_3()
    {
        using var http = Http();

        using var response = await http.GetAsync("/api/v1/streaming/public").DefaultTimeout();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"error":"Missing access token"}""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("Bearer nope")]
    [InlineData("bearer {token}")]
    public async Task KnownPath_BadToken_Returns401InvalidAccessToken_Section4_3(string authorization)
    {
        var user = await fixture.Database.CreateUserAsync();
        using var http = Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/streaming/user");
        request.Headers.TryAddWithoutValidation("Authorization", authorization.Replace("{token}", user.Token, StringComparison.Ordinal));

        using var response = await http.SendAsync(request).DefaultTimeout();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"error":"Invalid access token"}""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("revoked")]
    [InlineData("disabled")]
    [InlineData("suspended")]
    public async Task KnownPath_RevokedDisabledOrSuspended_Returns401InvalidAccessToken_Section4_2(string state)
    {
        var user = await fixture.Database.CreateUserAsync();
        var sql = state switch
        {
            "revoked" => "UPDATE oauth_access_tokens SET revoked_at = now() WHERE id = $1",
            "disabled" => "UPDATE users SET disabled = true WHERE id = (SELECT resource_owner_id FROM oauth_access_tokens WHERE id = $1)",
            _ => "UPDATE accounts SET suspended_at = now() WHERE id = (SELECT account_id FROM users WHERE id = (SELECT resource_owner_id FROM oauth_access_tokens WHERE id = $1))",
        };
        await fixture.Database.ExecuteAsync(sql, user.TokenId);
        using var http = Http();

        using var response = await http.GetAsync($"/api/v1/streaming/user?access_token={user.Token}").DefaultTimeout();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"error":"Invalid access token"}""", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("write", "/api/v1/streaming/public", false)]
    [InlineData("profile", "/api/v1/streaming/public/local", false)]
    [InlineData("read:statuses", "/api/v1/streaming/public/local", true)]
    [InlineData("read:statuses", "/api/v1/streaming/user/notification", false)]
    [InlineData("read:notifications", "/api/v1/streaming/user/notification", true)]
    [InlineData("read:notifications", "/api/v1/streaming/user", false)]
    public async Task Scopes_PerChannel_AcceptOrReject_Section4_4(string scopes, string path, bool accepted)
    {
        var user = await fixture.Database.CreateUserAsync(scopes);

        if (accepted)
        {
            await using var sse = await TestSseClient.ConnectAsync(_server, path, user.Token);
            Assert.Equal(":)", await sse.ReadLineAsync());
        }
        else
        {
            using var http = Http();
            using var response = await http.GetAsync($"{path}?access_token={user.Token}").DefaultTimeout();
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("""{"error":"Access token does not have the required scopes"}""", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Options_AnyPath_Returns204WithCorsHeaders_Section2_1()
    {
        using var http = Http();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/api/v1/streaming/user");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "authorization");

        using var response = await http.SendAsync(request).DefaultTimeout();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("GET,HEAD,PUT,PATCH,POST,DELETE", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Equal("authorization", response.Headers.GetValues("Access-Control-Allow-Headers").Single());
    }

    [Theory]
    [InlineData("/api/v1/streaming/hashtag", "Missing tag name parameter", 400)]
    [InlineData("/api/v1/streaming/hashtag?tag=", "Missing tag name parameter", 400)]
    [InlineData("/api/v1/streaming/list", "Missing list name parameter", 400)]
    [InlineData("/api/v1/streaming/list?list=abc", "Not authorized to stream this list", 401)]
    [InlineData("/api/v1/streaming/list?list=999999", "Not authorized to stream this list", 401)]
    [InlineData("/api/v1/streaming/hashtag?tag=a&tag=b", "An unexpected error occurred", 500)]
    public async Task ChannelResolution_Errors_UseUpstreamTexts_Section2_3(string path, string message, int status)
    {
        var user = await fixture.Database.CreateUserAsync();
        using var http = Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + user.Token);

        using var response = await http.SendAsync(request).DefaultTimeout();

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal($$"""{"error":"{{message}}"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_Get_ExposesUpstreamSeriesPrimed_Section9()
    {
        var text = await _server.MetricsAsync();

        Assert.Contains("# TYPE connected_clients gauge", text, StringComparison.Ordinal);
        Assert.Contains("connected_clients{type=\"websocket\"}", text, StringComparison.Ordinal);
        Assert.Contains("connected_channels{type=\"eventsource\",channel=\"hashtag:local\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("# HELP redis_messages_received_total The total number of messages the streaming server has received from redis subscriptions", text, StringComparison.Ordinal);
        Assert.Contains("messages_sent_total{type=\"eventsource\"}", text, StringComparison.Ordinal);
        Assert.Contains("pg_pool_total_connections", text, StringComparison.Ordinal);
        Assert.Contains("process_resident_memory_bytes", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_GcSeries_AllocatedBytesGrowAndCollectionsCountedByGeneration()
    {
        var before = await _server.MetricsAsync();
        var after = await _server.MetricsAsync();

        // Rendering /metrics itself allocates, so two scrapes in a row must differ.
        Assert.True(
            MetricsText.Value(after, "aot_streaming_gc_allocated_bytes_total") > MetricsText.Value(before, "aot_streaming_gc_allocated_bytes_total"),
            "allocated bytes did not grow between two scrapes");
        Assert.Contains("# TYPE aot_streaming_gc_collections_total counter", after, StringComparison.Ordinal);
        double Collections(string text, int generation) => MetricsText.Value(text, $"aot_streaming_gc_collections_total{{generation=\"{generation}\"}}");
        Assert.All([0, 1, 2], g => Assert.InRange(Collections(after, g), Collections(before, g), double.MaxValue));
        // A collection of generation n collects the younger ones too, and is counted for each.
        Assert.InRange(Collections(after, 1), Collections(after, 2), Collections(after, 0));
    }
}
