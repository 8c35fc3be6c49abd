using System.Net.WebSockets;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Operations;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NonParallelCollection
{
    public const string Name = "Non-parallel";
}

/// <summary>Reference §4.1 (token sources) and §1 (logging): at trace level, no access token text ever reaches the log.</summary>
[Collection(NonParallelCollection.Name)]
public sealed class LogRedactionTests : IAsyncLifetime
{
    private MastodonDatabase _database = null!;
    private StreamingServer _server = null!;

    public async Task InitializeAsync()
    {
        _database = await MastodonDatabase.CreateAsync();
        _server = await StreamingServer.StartAsync(_database, environment: new Dictionary<string, string> { ["LOG_LEVEL"] = "trace" });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task TraceLogging_AcceptedRejectedAndFailedRequests_NeverLogTokens_Section4_1()
    {
        var user = await _database.CreateUserAsync();
        var revoked = await _database.CreateUserAsync();
        await _database.ExecuteAsync("UPDATE oauth_access_tokens SET revoked_at = now() WHERE id = $1", revoked.TokenId);
        var bogus = "bogus-" + Guid.NewGuid().ToString("N");
        var secrets = new[] { user.Token, revoked.Token, bogus };
        using var http = new HttpClient { BaseAddress = _server.HttpBase };

        await using (var byQuery = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token))
        await using (var byHeader = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=public", bearer: user.Token))
        await using (var byProtocol = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", subprotocol: user.Token))
        {
            await byProtocol.SendAsync("""{"type":"subscribe","stream":"hashtag","tag":5}""");
            Assert.Contains("500", await byProtocol.ReceiveTextAsync(), StringComparison.Ordinal);
            await byProtocol.SendAsync("""{"type":"subscribe","stream":"list","list":"1; DROP TABLE lists"}""");
            Assert.Contains("401", await byProtocol.ReceiveTextAsync(), StringComparison.Ordinal);
        }

        foreach (var token in secrets[1..])
        {
            await AssertWebSocketRefusedAsync($"/api/v1/streaming?access_token={token}", null, null);
            await AssertWebSocketRefusedAsync("/api/v1/streaming", token, null);
            await AssertWebSocketRefusedAsync("/api/v1/streaming", null, token);
            await GetAsync(http, $"/api/v1/streaming/user?access_token={token}", null);
            await GetAsync(http, "/api/v1/streaming/public", token);
        }

        await using (var sse = await TestSseClient.ConnectAsync(_server, $"/api/v1/streaming/user?access_token={user.Token}", null))
        {
            Assert.Equal(":)", await sse.ReadLineAsync());
        }

        await GetAsync(http, $"/api/v1/streaming/hashtag?tag=a&tag=b&access_token={user.Token}", null);
        await GetAsync(http, $"/api/v1/streaming/list?list=abc&access_token={user.Token}", null);
        await GetAsync(http, "/api/v1/streaming/nope", user.Token);
        // The last request's refusal line shows that everything before it has been written.
        using var last = await http.GetAsync("/api/v1/streaming/public").DefaultTimeout();
        await _server.WaitForOutputAsync(last.Headers.GetValues("X-Request-Id").Single()).DefaultTimeout();

        var output = _server.Output;
        Assert.Contains("opened for account", output, StringComparison.Ordinal);
        Assert.Contains("refused with 401", output, StringComparison.Ordinal);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret[4..], output, StringComparison.Ordinal);
        }
    }

    private async Task AssertWebSocketRefusedAsync(string pathAndQuery, string? bearer, string? protocol)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (bearer is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        }

        if (protocol is not null)
        {
            socket.Options.AddSubProtocol(protocol);
        }

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri(_server.WebSocketBase, pathAndQuery), CancellationToken.None).DefaultTimeout());
        Assert.Equal(401, (int)socket.HttpStatusCode);
    }

    private static async Task GetAsync(HttpClient http, string pathAndQuery, string? bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        if (bearer is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        }

        using var response = await http.SendAsync(request).DefaultTimeout();
        Assert.NotEqual(200, (int)response.StatusCode);
    }
}
