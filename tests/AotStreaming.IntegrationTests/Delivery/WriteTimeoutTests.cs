using AotStreaming.Filtering;
using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Delivery;

/// <summary>Outboxes too large to fill in this test, and a 1 s write timeout.</summary>
public sealed class LongOutboxShortTimeoutFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments =>
    [
        "--Streaming:Delivery:OutboxCapacity=100000",
        "--Streaming:Delivery:OutboxMaxBytes=0",
        "--Streaming:Delivery:WriteTimeoutSeconds=1",
    ];
}

/// <summary>A socket that accepts no bytes for the write timeout is dropped even while its outbox has room.</summary>
public sealed class WriteTimeoutTests(LongOutboxShortTimeoutFixture fixture) : IClassFixture<LongOutboxShortTimeoutFixture>
{
    private const string TimeoutSeries = "aot_streaming_disconnects_total{reason=\"write_timeout\"}";

    [Fact]
    public async Task StalledWebSocket_OutboxNotFull_IsDroppedAfterWriteTimeout_WhileOthersReceive()
    {
        var server = fixture.Server;
        var tag = FilterScenario.UniqueTag();
        var channel = "timeline:hashtag:" + tag;
        var author = await fixture.Database.CreateUserAsync();
        var stalledUser = await fixture.Database.CreateUserAsync();
        var readerUser = await fixture.Database.CreateUserAsync();
        var content = new string('y', 32 * 1024);
        using var stalled = await StalledClients.WebSocketAsync(server, stalledUser, $"stream=hashtag&tag={tag}");
        await using var reader = await FrameReceiver.ConnectWebSocketAsync(server, readerUser, "hashtag", $"\"tag\":\"{tag}\"");
        await ChannelSync.SyncAsync(server, channel, [reader]);

        // ~10 MB: more than the stalled peer's socket buffers take, far less than its outbox allows.
        for (var n = 0; n < 300; n++)
        {
            await server.PublishAsync(channel, FilterScenario.Status($"w-{n}", author.AccountId, author.Username, content: content));
            Assert.Equal($"w-{n}", (await reader.NextAsync()).Id);
        }

        await MetricsText.WaitForAsync(server, TimeoutSeries, v => v >= 1);
        await server.WaitForOutputAsync("(websocket) as WriteTimeout").DefaultTimeout();
        Assert.Equal(0, MetricsText.Value(await server.MetricsAsync(), "aot_streaming_disconnects_total{reason=\"slow\"}"));
    }
}
