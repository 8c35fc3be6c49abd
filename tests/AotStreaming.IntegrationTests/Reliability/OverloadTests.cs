using System.Net.WebSockets;
using AotStreaming.Filtering;
using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Reliability;

/// <summary>Default limits, except no per-address limit (every test client comes from 127.0.0.1).</summary>
public sealed class OverloadFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments =>
    [
        "--Streaming:Limits:MaxConnectionsPerAddress=0",
    ];
}

/// <summary>Overload (issue "Reliability"): a reconnect storm and a publish storm are absorbed, memory stays bounded.</summary>
public sealed class OverloadTests(OverloadFixture fixture) : IClassFixture<OverloadFixture>
{
    private readonly StreamingServer _server = fixture.Server;

    [Fact]
    public async Task ReconnectStorm_800ClientsAtOnce_AllAuthenticatedThroughThePool_HealthAnswersMeanwhile()
    {
        var users = new List<TestUser>();
        for (var i = 0; i < 40; i++)
        {
            users.Add(await fixture.Database.CreateUserAsync());
        }

        using var http = new HttpClient { BaseAddress = _server.HttpBase };
        var storm = Task.WhenAll(Enumerable.Range(0, 800).Select(i => ConnectAsync(users[i % users.Count])));
        var healthChecks = 0;
        while (!storm.IsCompleted)
        {
            // Health must keep answering while 800 authentications queue for 10 pooled database connections.
            Assert.Equal("OK", await http.GetStringAsync("/api/v1/streaming/health").DefaultTimeout());
            healthChecks++;
        }

        var sockets = await storm;
        try
        {
            Assert.True(healthChecks > 0);
            Assert.All(sockets, s => Assert.Equal(WebSocketState.Open, s.State));
            var text = await _server.MetricsAsync();
            Assert.Equal(800, MetricsText.Value(text, "connected_clients{type=\"websocket\"}"));
            Assert.True(MetricsText.Value(text, "pg_pool_total_connections") <= 10, "the pool bounds the authentication queries");
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Abort();
                socket.Dispose();
            }
        }
    }

    [Fact]
    public async Task PublishStorm_FasterThanAStalledClientReads_StalledDroppedOutboxBoundedReaderComplete()
    {
        var tag = FilterScenario.UniqueTag();
        var channel = "timeline:hashtag:" + tag;
        var author = await fixture.Database.CreateUserAsync();
        var stalledUser = await fixture.Database.CreateUserAsync();
        var readerUser = await fixture.Database.CreateUserAsync();
        using var stalled = await StalledClients.WebSocketAsync(_server, stalledUser, $"stream=hashtag&tag={tag}");
        await using var reader = await FrameReceiver.ConnectWebSocketAsync(_server, readerUser, "hashtag", $"\"tag\":\"{tag}\"");
        await ChannelSync.SyncAsync(_server, channel, [reader]);
        var content = new string('z', 4 * 1024);

        // 5,000 statuses (~25 MB) in bursts of 50, far faster than the stalled client reads; every 500 the healthy
        // reader is awaited, so it never lags by more than its outbox holds.
        var publisher = TestEnvironment.Redis.GetSubscriber();
        var received = 0;
        for (var n = 0; n < 5000; n += 50)
        {
            await Task.WhenAll(Enumerable.Range(n, 50).Select(i =>
                publisher.PublishAsync(_server.Channel(channel), FilterScenario.Status($"s-{i}", author.AccountId, author.Username, content: content)))).DefaultTimeout();
            if ((n + 50) % 500 == 0)
            {
                for (; received < n + 50; received++)
                {
                    Assert.Equal($"s-{received}", (await reader.NextAsync()).Id);
                }
            }
        }

        await MetricsText.WaitForAsync(_server, "aot_streaming_disconnects_total{reason=\"slow\"}", v => v >= 1);
        // What the stalled client cost is bounded by its outbox (4 MiB by default), not by what was published to it;
        // RSS under a burst is the GC's business and is measured by MemoryBoundTests with a steady publisher.
        var text = await _server.MetricsAsync();
        Assert.True(MetricsText.Value(text, "aot_streaming_outbox_bytes") <= 2 * 4 * 1024 * 1024);
        Assert.Equal(0, MetricsText.Value(text, "aot_streaming_ingress_dropped_total"));
    }

    private async Task<ClientWebSocket> ConnectAsync(TestUser user)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(new Uri(_server.WebSocketBase, $"/api/v1/streaming?stream=user&access_token={user.Token}"), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(60));
        return socket;
    }
}
