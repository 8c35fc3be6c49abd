using System.Net.WebSockets;
using AotStreaming.Filtering;
using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Delivery;

/// <summary>
/// The slow-consumer policy (reference §15, README): a client that stops reading is dropped once its outbox is
/// full, healthy clients on the same channel lose nothing, and memory stays bounded while it is attached.
/// </summary>
public sealed class SlowConsumerTests(SmallOutboxFixture fixture) : IClassFixture<SmallOutboxFixture>
{
    private const string SlowSeries = "aot_streaming_disconnects_total{reason=\"slow\"}";
    private static readonly string s_bigContent = new('x', 32 * 1024);

    private readonly StreamingServer _server = fixture.Server;
    private readonly MastodonDatabase _db = fixture.Database;

    [Fact]
    public async Task StalledWebSocketAndSse_500HealthyClients_StalledDroppedHealthyGetEverything_Section15()
    {
        var tag = FilterScenario.UniqueTag();
        var channel = "timeline:hashtag:" + tag;
        var author = await _db.CreateUserAsync();
        var stalledUser = await _db.CreateUserAsync();
        var users = new List<TestUser>();
        for (var i = 0; i < 20; i++)
        {
            users.Add(await _db.CreateUserAsync());
        }

        var healthy = new List<FrameReceiver>();
        var slowBefore = MetricsText.Value(await _server.MetricsAsync(), SlowSeries);
        using var stalledWs = await StalledClients.WebSocketAsync(_server, stalledUser, $"stream=hashtag&tag={tag}");
        var (stalledHttp, stalledSse) = await StalledClients.SseAsync(_server, stalledUser, $"/api/v1/streaming/hashtag?tag={tag}");
        try
        {
            for (var batch = 0; batch < 10; batch++)
            {
                healthy.AddRange(await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
                {
                    var user = users[((batch * 50) + i) % users.Count];
                    return i % 2 == 0
                        ? FrameReceiver.ConnectWebSocketAsync(_server, user, "hashtag", $"\"tag\":\"{tag}\"")
                        : FrameReceiver.ConnectSseAsync(_server, user, $"/api/v1/streaming/hashtag?tag={tag}");
                })));
            }

            await ChannelSync.SyncAsync(_server, channel, [.. healthy]);

            var published = new List<string>();
            var slowSeen = 0.0;
            for (var n = 0; n < 200 && (slowSeen < slowBefore + 2 || published.Count < 40); n++)
            {
                var id = $"big-{n}";
                await _server.PublishAsync(channel, FilterScenario.Status(id, author.AccountId, author.Username, content: s_bigContent));
                published.Add(id);
                var frames = await Task.WhenAll(healthy.Select(r => r.NextAsync()));
                Assert.All(frames, f => Assert.Equal(id, f.Id));
                slowSeen = MetricsText.Value(await _server.MetricsAsync(), SlowSeries);
            }

            Assert.True(slowSeen >= slowBefore + 2, $"both stalled clients must be dropped as slow (saw {slowSeen - slowBefore})");
            await _server.WaitForOutputAsync("(websocket) as Slow").DefaultTimeout();
            await _server.WaitForOutputAsync("(eventsource) as Slow").DefaultTimeout();
            Assert.Contains(_server.Output.Split('\n'), l => l.Contains("as Slow", StringComparison.Ordinal) && l.Contains("INF", StringComparison.Ordinal));
            Assert.All(healthy, r => Assert.Equal(published.Count, r.Events));
            var close = await StalledClients.DrainAsync(stalledWs);
            Assert.True(close is null or (WebSocketCloseStatus)1013, $"stalled WebSocket saw {close}");
            Assert.Equal(0, MetricsText.Value(await _server.MetricsAsync(), SlowSeries) - slowSeen);
        }
        finally
        {
            stalledSse.Dispose();
            stalledHttp.Dispose();
            foreach (var receiver in healthy)
            {
                await receiver.DisposeAsync();
            }
        }
    }
}
