using System.Net.WebSockets;
using AotStreaming.Testing;
using AotStreaming.Testing.WebSockets;
using Xunit;

namespace AotStreaming.Endpoints;

/// <summary>
/// A server that pings every second: a client must answer within one interval, so a second (not less) leaves a
/// loaded CI machine's client time to read the ping and answer.
/// </summary>
public sealed class FastPingFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments => ["--Streaming:Delivery:WebSocketPingSeconds=1"];
}

/// <summary>Reference §3.5: pings, and termination of a client that never answers them.</summary>
public sealed class WebSocketPingTests(FastPingFixture fixture) : IClassFixture<FastPingFixture>
{
    private readonly StreamingServer _server = fixture.Server;

    [Fact]
    public async Task Ping_ClientNeverPongs_ServerSendsPingThenTerminates_Section3_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        using var raw = await RawWebSocket.ConnectAsync(_server, "/api/v1/streaming?access_token=" + user.Token);

        var opcodes = await raw.ReadUntilEndAsync();

        Assert.Contains(WebSocketOpcode.Ping, opcodes);
    }

    [Fact]
    public async Task Ping_ClientNeverPongs_SubscriptionsReleased_Section3_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        using var raw = await RawWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user&access_token=" + user.Token);

        await raw.ReadUntilEndAsync();

        // The presence key proves the subscription existed; it outlives the subscription by design (§5.6).
        Assert.NotNull(await StreamingTestHelpers.WaitForKeyTtlAsync(_server.Key($"subscribed:timeline:{user.AccountId}")));

        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}", subscribed: false);
    }

    [Fact]
    public async Task Ping_ClientThatReads_StaysConnectedPastSeveralIntervals_Section3_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");
        var receive = socket.ReceiveTextAsync();

        // The subject is elapsed time: three ping intervals during which the client only answers pings.
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("late"));

        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"late"}""", await receive);
        Assert.Equal(WebSocketState.Open, socket.Socket.State);
    }
}
