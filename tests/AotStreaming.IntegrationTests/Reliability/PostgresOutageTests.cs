using System.Net;
using System.Net.WebSockets;
using AotStreaming.Testing;
using Npgsql;
using Xunit;

namespace AotStreaming.Reliability;

/// <summary>
/// Reference §4 and §6: PostgreSQL down or slow. New requests fail fast with upstream's 500, streams that need no
/// query keep flowing, filtered statuses fail closed, and everything recovers without a restart.
/// </summary>
public sealed class PostgresOutageTests : IAsyncLifetime
{
    private TcpProxy _proxy = null!;
    private MastodonDatabase _database = null!;
    private StreamingServer _server = null!;

    public async Task InitializeAsync()
    {
        var pg = TestEnvironment.PostgresServer;
        _proxy = new TcpProxy(new IPEndPoint(IPAddress.Parse(pg.Host == "localhost" ? "127.0.0.1" : pg.Host!), pg.Port));
        _database = await MastodonDatabase.CreateAsync();
        _server = await StreamingServer.StartAsync(
            _database,
            ["--Streaming:Postgres:ConnectTimeoutSeconds=2", "--Streaming:Postgres:CommandTimeoutSeconds=10"],
            new Dictionary<string, string> { ["DB_HOST"] = "127.0.0.1", ["DB_PORT"] = _proxy.Port.ToString() });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _proxy.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task PostgresDown_NewRequestsGet500_ConnectedStreamsContinue_RecoversWithoutRestart_Section4_3()
    {
        var reader = await _database.CreateUserAsync();
        var viewer = await _database.CreateUserAsync();
        var author = await _database.CreateUserAsync();
        await using var userWs = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", reader.Token);
        await using var publicWs = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=public", viewer.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:{reader.AccountId}");
        await _server.WaitForRedisSubscriptionAsync("timeline:public");
        await SubscribedAtConnectAsync(publicWs);
        using var http = new HttpClient { BaseAddress = _server.HttpBase };

        _proxy.Forwarding = false;
        _proxy.Disconnect();
        using var sseRequest = new HttpRequestMessage(HttpMethod.Get, "/api/v1/streaming/user");
        sseRequest.Headers.TryAddWithoutValidation("Authorization", "Bearer " + reader.Token);
        using var sseResponse = await http.SendAsync(sseRequest).DefaultTimeout();
        var sseBody = await sseResponse.Content.ReadAsStringAsync();
        using var rejected = new ClientWebSocket();
        rejected.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() =>
            rejected.ConnectAsync(new Uri(_server.WebSocketBase, $"/api/v1/streaming?access_token={reader.Token}"), CancellationToken.None).DefaultTimeout());
        await _server.PublishAsync($"timeline:{reader.AccountId}", RailsMessages.Status("301", author.AccountId, author.Username));
        var userFrameWhileDown = await userWs.ReceiveJsonAsync();
        await _server.PublishAsync("timeline:public", RailsMessages.Status("302", author.AccountId, author.Username));
        await _server.PublishAsync("timeline:public", RailsMessages.Delete("303"));
        var publicFrameWhileDown = await publicWs.ReceiveJsonAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, sseResponse.StatusCode);
        Assert.Equal("""{"error":"An unexpected error occurred"}""", sseBody);
        Assert.Equal(500, (int)rejected.HttpStatusCode);
        Assert.Equal("An unexpected error occurred", rejected.HttpResponseHeaders!["X-Error-Message"].Single());
        Assert.Contains("\"id\":\"301\"", userFrameWhileDown.GetProperty("payload").GetString(), StringComparison.Ordinal);
        Assert.Equal("delete", publicFrameWhileDown.GetProperty("event").GetString());
        Assert.Equal("303", publicFrameWhileDown.GetProperty("payload").GetString());

        _proxy.Forwarding = true;
        await using var sseAfter = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/public", reader.Token);
        await using var wsAfter = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=public", viewer.Token);
        Assert.Equal(":)", await sseAfter.ReadLineAsync());
        await SubscribedAtConnectAsync(wsAfter);
        await _server.PublishAsync("timeline:public", RailsMessages.Status("304", author.AccountId, author.Username));

        Assert.Contains("\"id\":\"304\"", (await publicWs.ReceiveJsonAsync()).GetProperty("payload").GetString(), StringComparison.Ordinal);
        Assert.Contains("\"id\":\"304\"", (await wsAfter.ReceiveJsonAsync()).GetProperty("payload").GetString(), StringComparison.Ordinal);
        var (name, data) = await sseAfter.ReadEventAsync();
        Assert.Equal("update", name);
        Assert.Contains("\"id\":\"304\"", data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgresSlow_PublicFilteringBlocked_UserStreamStillDelivers_Section6_3()
    {
        var reader = await _database.CreateUserAsync();
        var viewer = await _database.CreateUserAsync();
        var author = await _database.CreateUserAsync();
        await using var userWs = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", reader.Token);
        await using var publicWs = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=public", viewer.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:{reader.AccountId}");
        await _server.WaitForRedisSubscriptionAsync("timeline:public");
        await SubscribedAtConnectAsync(publicWs);
        await using var lockConnection = await _database.DataSource.OpenConnectionAsync();
        await using var transaction = await lockConnection.BeginTransactionAsync();
        await using (var lockCommand = new NpgsqlCommand("LOCK TABLE blocks IN ACCESS EXCLUSIVE MODE", lockConnection, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync();
        }

        await _server.PublishAsync("timeline:public", RailsMessages.Status("401", author.AccountId, author.Username));
        await WaitForBlockedQueryAsync();
        await _server.PublishAsync($"timeline:{reader.AccountId}", RailsMessages.Status("402", author.AccountId, author.Username));
        var userFrame = await userWs.ReceiveJsonAsync();
        await transaction.RollbackAsync();
        var publicFrame = await publicWs.ReceiveJsonAsync();

        Assert.Contains("\"id\":\"402\"", userFrame.GetProperty("payload").GetString(), StringComparison.Ordinal);
        Assert.Contains("\"id\":\"401\"", publicFrame.GetProperty("payload").GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// The <c>?stream=</c> subscription is made after the handshake, before the first client message is read: the
    /// answer to a bad subscribe proves it is in place (timeline:public was already subscribed in Redis).
    /// </summary>
    private static async Task SubscribedAtConnectAsync(TestWebSocket ws)
    {
        await ws.SubscribeAsync("nope");
        Assert.Equal("""{"error":"Unknown stream type","status":400}""", await ws.ReceiveTextAsync());
    }

    /// <summary>Waits until the server's filter query is actually waiting on our lock (pg_locks shows it).</summary>
    private Task WaitForBlockedQueryAsync() =>
        Eventually.UntilAsync(
            async () => (long)(await _database.ScalarAsync(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'blocks' AND NOT l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"))!,
            waiting => waiting > 0,
            DefaultTimeoutExtensions.Timeout,
            "the filter query to wait on the blocks lock",
            waiting => $"{waiting} ungranted locks on blocks");
}
