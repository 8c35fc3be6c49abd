using AotStreaming.Filtering;
using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Ingress;

/// <summary>
/// Issue 10 item 6: a Redis message above Ingress:MaxMessageBytes is skipped as it streams in, counted and logged
/// once; the subscriber connection stays up and the next normal message is delivered.
/// </summary>
public sealed class OversizedMessageTests(OversizedMessageTests.Fixture fixture) : IClassFixture<OversizedMessageTests.Fixture>
{
    private const int MaxMessageBytes = 1024 * 1024;
    private readonly StreamingServer _server = fixture.Server;

    [Fact]
    public async Task MessagesAboveMaxMessageBytes_SkippedCountedLoggedOnce_NextMessageDelivered()
    {
        var viewer = await fixture.Database.CreateUserAsync();
        var author = await fixture.Database.CreateUserAsync();
        var channel = $"timeline:{viewer.AccountId}";
        await using var socket = await FrameReceiver.ConnectWebSocketAsync(_server, viewer, "user");
        await using var sse = await FrameReceiver.ConnectSseAsync(_server, viewer, "/api/v1/streaming/user");
        await ChannelSync.SyncAsync(_server, channel, socket, sse);
        var oversized = new string('x', 2 * MaxMessageBytes);

        await _server.PublishAsync(channel, FilterScenario.Status("too-big-1", author.AccountId, author.Username, content: oversized));
        await _server.PublishAsync(channel, FilterScenario.Status("too-big-2", author.AccountId, author.Username, content: oversized));
        await _server.PublishAsync(channel, FilterScenario.Status("normal", author.AccountId, author.Username));

        Assert.Equal("normal", (await socket.NextAsync()).Id);
        Assert.Equal("normal", (await sse.NextAsync()).Id);
        await MetricsText.WaitForAsync(_server, "aot_streaming_redis_oversized_total", n => n == 2);
        Assert.Single(_server.Output.Split('\n'), line => line.Contains("Skipped a Redis message of", StringComparison.Ordinal));
        Assert.DoesNotContain("Redis subscriber connection lost", _server.Output, StringComparison.Ordinal);
        Assert.Equal(1, MetricsText.Value(await _server.MetricsAsync(), "aot_streaming_redis_connected"));
    }

    public sealed class Fixture : ServerFixture
    {
        protected override IEnumerable<string> Arguments => [$"--Streaming:Ingress:MaxMessageBytes={MaxMessageBytes}"];
    }
}
