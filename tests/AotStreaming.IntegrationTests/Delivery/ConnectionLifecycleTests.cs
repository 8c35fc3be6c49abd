using System.Net.Sockets;
using System.Text;
using AotStreaming.Filtering;
using AotStreaming.Support;
using AotStreaming.Testing;
using AotStreaming.Testing.WebSockets;
using Xunit;

namespace AotStreaming.Delivery;

/// <summary>
/// Subscribe/unsubscribe/connect/disconnect churn during a broadcast, and peers that vanish without a close:
/// nothing lost for stable clients, no stale Redis subscriptions or gauges afterwards (reference §5.8, §9).
/// </summary>
public sealed class ConnectionLifecycleTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly StreamingServer _server = fixture.Server;
    private readonly MastodonDatabase _db = fixture.Database;

    [Fact]
    public async Task Churn_DuringBroadcast_StableLoseNothingAndNoStaleEntries_Section5_8()
    {
        var author = await _db.CreateUserAsync();
        var stableUser = await _db.CreateUserAsync();
        var churnUser = await _db.CreateUserAsync();
        var tag = FilterScenario.UniqueTag();
        var channel = "timeline:hashtag:" + tag;
        var stable = new List<FrameReceiver>();
        for (var i = 0; i < 3; i++)
        {
            stable.Add(await FrameReceiver.ConnectWebSocketAsync(_server, stableUser, "hashtag", $"\"tag\":\"{tag}\""));
        }

        for (var i = 0; i < 2; i++)
        {
            stable.Add(await FrameReceiver.ConnectSseAsync(_server, stableUser, "/api/v1/streaming/hashtag?tag=" + tag));
        }

        await ChannelSync.SyncAsync(_server, channel, [.. stable]);
        var churnTags = Enumerable.Range(0, 40).Select(_ => FilterScenario.UniqueTag()).ToArray();
        using var stop = new CancellationTokenSource();

        var churners = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var k = worker; k < churnTags.Length; k += 4)
            {
                var own = churnTags[k];
                if (k % 2 == 0)
                {
                    await using var socket = await TestWebSocket.ConnectAsync(_server, $"/api/v1/streaming?stream=hashtag&tag={own}", churnUser.Token);
                    await socket.SubscribeAsync("hashtag", $"\"tag\":\"{tag}\"");
                    await socket.SubscribeAsync("public");
                    await _server.WaitForRedisSubscriptionAsync("timeline:hashtag:" + own);
                    await socket.SendAsync($"{{\"type\":\"unsubscribe\",\"stream\":\"hashtag\",\"tag\":\"{tag}\"}}");
                    await socket.SendAsync($"{{\"type\":\"unsubscribe\",\"stream\":\"hashtag\",\"tag\":\"{own}\"}}");
                    await _server.WaitForRedisSubscriptionAsync("timeline:hashtag:" + own, subscribed: false);
                    await socket.SubscribeAsync("hashtag", $"\"tag\":\"{own}\"");
                    await _server.WaitForRedisSubscriptionAsync("timeline:hashtag:" + own);
                }
                else
                {
                    await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/hashtag?tag=" + own, churnUser.Token);
                    await _server.WaitForRedisSubscriptionAsync("timeline:hashtag:" + own);
                }
            }
        }));
        var ids = new List<string>();
        var broadcast = Task.Run(async () =>
        {
            for (var n = 0; n < 300; n++)
            {
                ids.Add($"b{n}");
                await _server.PublishAsync(channel, FilterScenario.Status($"b{n}", author.AccountId, author.Username));
            }
        });
        await Task.WhenAll(churners).DefaultTimeout();
        await broadcast.DefaultTimeout();

        foreach (var receiver in stable)
        {
            foreach (var id in ids)
            {
                Assert.Equal(id, (await receiver.NextAsync()).Id);
            }
        }

        foreach (var own in churnTags)
        {
            await _server.WaitForRedisSubscriptionAsync("timeline:hashtag:" + own, subscribed: false);
        }

        await WaitForMetricAsync("connected_clients{type=\"websocket\"}", 3);
        await WaitForMetricAsync("connected_clients{type=\"eventsource\"}", 2);
        var metrics = await _server.MetricsAsync();
        Assert.Equal(3, MetricsText.Value(metrics, "connected_channels{type=\"websocket\",channel=\"hashtag\"}"));
        Assert.Equal(2, MetricsText.Value(metrics, "connected_channels{type=\"eventsource\",channel=\"hashtag\"}"));
        Assert.Equal(0, MetricsText.Value(metrics, "connected_channels{type=\"websocket\",channel=\"public\"}"));
        Assert.Equal(6, MetricsText.Value(metrics, "connected_channels{type=\"websocket\",channel=\"system\"}"));
        Assert.Equal(4, MetricsText.Value(metrics, "connected_channels{type=\"eventsource\",channel=\"system\"}"));
        foreach (var receiver in stable)
        {
            await receiver.DisposeAsync();
        }

        await WaitForMetricAsync("connected_clients{type=\"websocket\"}", 0);
        await WaitForMetricAsync("connected_clients{type=\"eventsource\"}", 0);
        await _server.WaitForRedisSubscriptionAsync(channel, subscribed: false);
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("eventsource")]
    public async Task PeerVanishes_ResetWithoutClose_ConnectionCleanedUp_Section9(string transport)
    {
        var user = await _db.CreateUserAsync();
        var tag = FilterScenario.UniqueTag();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", _server.Port).DefaultTimeout();
        // A bare socket, not RawWebSocket: the test resets it itself (linger 0) instead of closing it.
        var request = transport == "websocket"
            ? WebSocketHandshake.BuildRequest("127.0.0.1", $"/api/v1/streaming?access_token={user.Token}&stream=hashtag&tag={tag}", WebSocketHandshake.CreateKey())
            : Encoding.ASCII.GetBytes($"GET /api/v1/streaming/hashtag?tag={tag} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {user.Token}\r\n\r\n");
        await socket.SendAsync(request).DefaultTimeout();
        var head = await ReadHeadAsync(socket);
        Assert.StartsWith(transport == "websocket" ? "HTTP/1.1 101" : "HTTP/1.1 200", head, StringComparison.Ordinal);
        await _server.WaitForRedisSubscriptionAsync("timeline:hashtag:" + tag);
        await WaitForMetricAsync($"connected_clients{{type=\"{transport}\"}}", 1);

        socket.LingerState = new LingerOption(true, 0);
        socket.Close();

        await WaitForMetricAsync($"connected_clients{{type=\"{transport}\"}}", 0);
        await WaitForMetricAsync($"connected_channels{{type=\"{transport}\",channel=\"hashtag\"}}", 0);
        await _server.WaitForRedisSubscriptionAsync("timeline:hashtag:" + tag, subscribed: false);
    }

    private static async Task<string> ReadHeadAsync(Socket socket)
    {
        var buffer = new byte[4096];
        var length = 0;
        while (!Encoding.ASCII.GetString(buffer, 0, length).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(length)).DefaultTimeout();
            Assert.True(read > 0, "connection closed before the response head");
            length += read;
        }

        return Encoding.ASCII.GetString(buffer, 0, length);
    }

    private Task WaitForMetricAsync(string series, double expected) =>
        MetricsText.WaitForAsync(_server, series, value => value == expected);
}
