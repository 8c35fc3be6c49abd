using System.Text.Json;
using AotStreaming.Testing;
using StackExchange.Redis;
using Xunit;

namespace AotStreaming.Ingress;

/// <summary>Reference §6.1, §6.2 and §7.2: which Redis messages reach an unfiltered stream, and how.</summary>
public sealed class EventForwardingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly StreamingServer _server = fixture.Server;

    private async Task<(TestUser User, TestWebSocket Socket)> ConnectUserStreamAsync()
    {
        var user = await fixture.Database.CreateUserAsync();
        var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}", $"timeline:{user.AccountId}:notifications");
        return (user, socket);
    }

    private static string Sentinel() => """{"stream":["user"],"event":"delete","payload":"sentinel"}""";

    [Theory]
    [InlineData("update", """{"id":"1","content":"<p>x</p>"}""")]
    [InlineData("status.update", """{"id":"1","edited_at":"2026-11-28T10:00:00.000Z"}""")]
    [InlineData("delete", "\"109348677773283527\"")]
    [InlineData("announcement", """{"id":"3","content":"<p>news</p>"}""")]
    [InlineData("announcement.reaction", """{"name":"👍","count":2,"announcement_id":"3"}""")]
    [InlineData("announcement.delete", "\"3\"")]
    [InlineData("some.future_event", """{"anything":[1,{"deep":true}]}""")]
    public async Task HomeChannel_EventCatalogue_ForwardedUnchanged_Section7_2(string name, string payload)
    {
        var (user, socket) = await ConnectUserStreamAsync();
        await using var _ = socket;

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Event(name, payload));

        var frame = await socket.ReceiveJsonAsync();
        Assert.Equal("user", frame.GetProperty("stream")[0].GetString());
        Assert.Equal(name, frame.GetProperty("event").GetString());
        var expected = payload.StartsWith('"') ? JsonSerializer.Deserialize<string>(payload) : payload;
        Assert.Equal(expected, frame.GetProperty("payload").GetString());
    }

    [Theory]
    [InlineData("notification", """{"id":"7","type":"mention","account":{"id":"1"}}""", """{"id":"7","type":"mention","account":{"id":"1"}}""")]
    [InlineData("notifications_merged", "\"1\"", "1")]
    public async Task NotificationsChannel_Events_Forwarded_Section7_2(string name, string payload, string expected)
    {
        var (user, socket) = await ConnectUserStreamAsync();
        await using var _ = socket;

        await _server.PublishAsync($"timeline:{user.AccountId}:notifications", RailsMessages.Event(name, payload));

        var frame = await socket.ReceiveJsonAsync();
        Assert.Equal(name, frame.GetProperty("event").GetString());
        Assert.Equal(expected, frame.GetProperty("payload").GetString());
    }

    [Fact]
    public async Task DirectChannel_Conversation_Forwarded_Section7_2()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=direct", user.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync($"timeline:direct:{user.AccountId}");

        await _server.PublishAsync($"timeline:direct:{user.AccountId}", RailsMessages.Event("conversation", """{"id":"8","accounts":[],"last_status":null}"""));

        Assert.Equal("""{"stream":["direct"],"event":"conversation","payload":"{\"id\":\"8\",\"accounts\":[],\"last_status\":null}"}""", await socket.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("""{"event":"update"}""")]
    [InlineData("""{"event":"update","payload":""}""")]
    [InlineData("""{"event":"update","payload":0}""")]
    [InlineData("""{"event":"update","payload":false}""")]
    [InlineData("""{"event":"update","payload":null}""")]
    [InlineData("""{"payload":{"id":"1"}}""")]
    [InlineData("""{"event":"","payload":{"id":"1"}}""")]
    [InlineData("""{"event":null,"payload":"1"}""")]
    [InlineData("{}")]
    [InlineData("null")]
    [InlineData("123")]
    [InlineData("[1,2]")]
    [InlineData("\"just a string\"")]
    public async Task Message_WithoutEventOrTruthyPayload_Dropped_Section6_1(string message)
    {
        var (user, socket) = await ConnectUserStreamAsync();
        await using var _ = socket;

        await _server.PublishAsync($"timeline:{user.AccountId}", message);
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("sentinel"));

        Assert.Equal(Sentinel(), await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task FiltersChanged_OnHomeChannel_NotForwarded_Section6_1()
    {
        var (user, socket) = await ConnectUserStreamAsync();
        await using var _ = socket;

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.FiltersChanged());
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("sentinel"));

        Assert.Equal(Sentinel(), await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task FiltersChanged_OnSystemChannel_NotForwardedAndSocketStaysOpen_Section5_7()
    {
        var (user, socket) = await ConnectUserStreamAsync();
        await using var _ = socket;

        await _server.PublishAsync($"timeline:system:{user.AccountId}", RailsMessages.FiltersChanged());
        await _server.PublishAsync($"timeline:system:{user.AccountId}", RailsMessages.Event("something_else", "\"x\""));
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("sentinel"));

        Assert.Equal(Sentinel(), await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Message_ExtraTopLevelKeys_NeverInFrame_Section6_1()
    {
        var (user, socket) = await ConnectUserStreamAsync();
        await using var _ = socket;

        await _server.PublishAsync($"timeline:{user.AccountId}", """{"event":"update","payload":{"id":"9"},"queued_at":1764324000000,"stream":["evil"],"extra":{"a":1}}""");

        Assert.Equal("""{"stream":["user"],"event":"update","payload":"{\"id\":\"9\"}"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Message_PayloadTrue_DeliveredAsBareTrue_Section3_4()
    {
        var (user, socket) = await ConnectUserStreamAsync();
        await using var _ = socket;

        await _server.PublishAsync($"timeline:{user.AccountId}", """{"event":"custom","payload":true}""");

        Assert.Equal("""{"stream":["user"],"event":"custom","payload":true}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Message_StringPayloadWithEscapes_PassedThroughAsString_Section6_2()
    {
        var (user, socket) = await ConnectUserStreamAsync();
        await using var _ = socket;

        await _server.PublishAsync($"timeline:{user.AccountId}", """{"event":"delete","payload":"a\"b\\c\u00e9"}""");

        var frame = await socket.ReceiveJsonAsync();
        Assert.Equal("a\"b\\cé", frame.GetProperty("payload").GetString());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{")]
    [InlineData("{\"event\":\"update\",\"payload\":{\"id\":\"1\"}")]
    [InlineData("")]
    public async Task Garbage_OnChannel_SkippedAndLaterMessagesDelivered_Section6_1(string garbage)
    {
        var (user, socket) = await ConnectUserStreamAsync();
        await using var _ = socket;

        await _server.PublishAsync($"timeline:{user.AccountId}", garbage);
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("sentinel"));

        Assert.Equal(Sentinel(), await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Garbage_BinaryBytesOnChannel_SkippedAndLaterMessagesDelivered_Section6_1()
    {
        var (user, socket) = await ConnectUserStreamAsync();
        await using var _ = socket;

        await TestEnvironment.Redis.GetSubscriber().PublishAsync(_server.Channel($"timeline:{user.AccountId}"), (RedisValue)new byte[] { 0xff, 0xfe, 0x00, 0x7b, 0xc3 });
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("sentinel"));

        Assert.Equal(Sentinel(), await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Garbage_OnSystemChannel_SocketStaysOpen_Section5_7()
    {
        var (user, socket) = await ConnectUserStreamAsync();
        await using var _ = socket;

        await _server.PublishAsync($"timeline:access_token:{user.TokenId}", "not json");
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("sentinel"));

        Assert.Equal(Sentinel(), await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Sse_DroppedMessages_NotWritten_Section6_1()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}", """{"event":"update","payload":""}""");
        await _server.PublishAsync($"timeline:{user.AccountId}", "not json");
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.FiltersChanged());
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("sentinel"));

        Assert.Equal(("delete", "sentinel"), await sse.ReadEventAsync());
    }
}
