using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Routing;

/// <summary>A server started without <c>REDIS_NAMESPACE</c>.</summary>
public sealed class NoNamespaceFixture : ServerFixture
{
    protected override bool UseNamespace => false;
}

/// <summary>Reference §5.5: without a namespace, channels and keys carry no prefix.</summary>
public sealed class NoNamespaceTests(NoNamespaceFixture fixture) : IClassFixture<NoNamespaceFixture>
{
    private readonly StreamingServer _server = fixture.Server;

    [Fact]
    public async Task NoNamespace_UserChannel_SubscribedAndDeliveredUnprefixed_Section5_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("1"));

        Assert.Equal("", _server.Namespace);
        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"1"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task NoNamespace_PresenceKey_Unprefixed_Section5_6()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SubscribeSyncedAsync(_server, "direct", null, $"timeline:direct:{user.AccountId}");

        var ttl = await StreamingTestHelpers.WaitForKeyTtlAsync($"subscribed:timeline:direct:{user.AccountId}");
        Assert.InRange(ttl!.Value.TotalSeconds, 1000, 1080);
    }

    [Fact]
    public async Task NoNamespace_Kill_ClosesSocket_Section5_7()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:access_token:{user.TokenId}");

        await _server.PublishAsync($"timeline:access_token:{user.TokenId}", RailsMessages.Kill());

        var (status, _) = await socket.ReceiveCloseAsync();
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, status);
    }
}
