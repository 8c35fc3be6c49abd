using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Ingress;

/// <summary>
/// The basic path end to end: a status Rails publishes on <c>timeline:public</c> reaches an SSE and a WebSocket client
/// (reference §2, §3.4). CI also runs it against the arm64 binary under qemu-user (.ci/run, Raspberry Pi step).
/// </summary>
public sealed class PublicTimelineTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly StreamingServer _server = fixture.Server;

    [Fact]
    public async Task PublicTimeline_StatusPublishedToRedis_ArrivesOverSseAndWebSocket()
    {
        var reader = await fixture.Database.CreateUserAsync();
        var author = await fixture.Database.CreateUserAsync();
        await using var webSocket = await FrameReceiver.ConnectWebSocketAsync(_server, reader, "public");
        await using var sse = await FrameReceiver.ConnectSseAsync(_server, reader, "/api/v1/streaming/public");
        await ChannelSync.SyncAsync(_server, "timeline:public", webSocket, sse);

        await _server.PublishAsync("timeline:public", RailsMessages.Status("pub1", author.AccountId, author.Username));

        foreach (var receiver in new[] { webSocket, sse })
        {
            var frame = await receiver.NextAsync();
            Assert.Equal("update", frame.Event);
            Assert.Equal("pub1", frame.Id);
            Assert.Equal(author.AccountId.ToString(), frame.PayloadJson.GetProperty("account").GetProperty("id").GetString());
        }
    }
}
