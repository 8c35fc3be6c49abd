using System.Net;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Reliability;

/// <summary>
/// Reference §5 (Redis ingress): a Redis crash and restart must not drop clients; the server re-subscribes and
/// rewrites its <c>subscribed:</c> presence keys (§5.6) as soon as Redis is back.
/// </summary>
public sealed class RedisRestartTests : IAsyncLifetime
{
    private PrivateRedis _redis = null!;
    private MastodonDatabase _database = null!;
    private StreamingServer _server = null!;

    public async Task InitializeAsync()
    {
        _redis = await PrivateRedis.StartAsync();
        _database = await MastodonDatabase.CreateAsync();
        _server = await StreamingServer.StartAsync(_database, environment: _redis.ServerEnvironment());
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _redis.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task RedisKilledAndRestarted_ClientsStayConnectedAndEventsResume_Section5_6()
    {
        var user = await _database.CreateUserAsync();
        var userChannel = _server.Key($"timeline:{user.AccountId}");
        await using var ws = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token);
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);
        Assert.Equal(":)", await sse.ReadLineAsync());
        await _redis.WaitForSubscriptionAsync(userChannel);
        await _redis.PublishAsync(userChannel, RailsMessages.Status("101", user.AccountId));
        Assert.Contains("\"id\":\"101\"", (await ws.ReceiveJsonAsync()).GetProperty("payload").GetString(), StringComparison.Ordinal);
        Assert.Equal("update", (await sse.ReadEventAsync()).Event);
        using var http = new HttpClient { BaseAddress = _server.HttpBase };

        await _redis.KillAsync();
        await _server.WaitForOutputAsync("Redis subscriber connection lost").DefaultTimeout();
        using var healthWhileDown = await http.GetAsync("/api/v1/streaming/health").DefaultTimeout();
        var metricsWhileDown = await _server.MetricsAsync();
        await _redis.RestartAsync();
        await _server.WaitForOutputAsync("restored").DefaultTimeout();
        await _redis.WaitForSubscriptionAsync(userChannel);
        // The presence key is rewritten after the restart (the wait fails the test if it is not, within 5 s).
        await WaitForKeyAsync(_server.Key($"subscribed:timeline:{user.AccountId}"));
        await _redis.PublishAsync(userChannel, RailsMessages.Status("202", user.AccountId));

        Assert.Equal(HttpStatusCode.OK, healthWhileDown.StatusCode);
        Assert.Contains("\naot_streaming_redis_connected 0", metricsWhileDown, StringComparison.Ordinal);
        Assert.Contains("\"id\":\"202\"", (await ws.ReceiveJsonAsync()).GetProperty("payload").GetString(), StringComparison.Ordinal);
        var (name, data) = await sse.ReadEventAsync();
        Assert.Equal("update", name);
        Assert.Contains("\"id\":\"202\"", data, StringComparison.Ordinal);
        Assert.Contains("\naot_streaming_redis_connected 1", await _server.MetricsAsync(), StringComparison.Ordinal);
        var lines = _server.Output.Split('\n');
        Assert.Single(lines, l => l.Contains("Redis subscriber connection lost", StringComparison.Ordinal) && l.Contains("[ERR]", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("Redis subscriber connection restored", StringComparison.Ordinal) && l.Contains("[INF]", StringComparison.Ordinal));
    }

    /// <summary>
    /// The key is written "right away" after the restart; a fresh Redis has no keys at all, so any presence key is
    /// the server's rewrite. Polled because the write is fire-and-forget on another process's connection.
    /// </summary>
    private Task WaitForKeyAsync(string key) =>
        Eventually.UntilAsync(() => _redis.KeyExistsAsync(key), TimeSpan.FromSeconds(5), $"presence key {key} to be rewritten", interval: TimeSpan.FromMilliseconds(50));
}
