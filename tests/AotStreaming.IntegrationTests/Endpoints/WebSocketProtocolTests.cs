using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using AotStreaming.Testing;
using AotStreaming.Testing.WebSockets;
using Xunit;

namespace AotStreaming.Endpoints;

/// <summary>Reference §3 and §4.1: the WebSocket upgrade, client messages, frames, kill and close.</summary>
public sealed class WebSocketProtocolTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string ClassName = nameof(WebSocketProtocolTests);

    private readonly StreamingServer _server = fixture.Server;

    private static string NewTag() => "t" + Guid.NewGuid().ToString("N")[..12];

    [Theory]
    [InlineData("/api/v1/streaming")]
    [InlineData("/api/v1/streaming/")]
    [InlineData("/whatever")]
    [InlineData("/")]
    public async Task Upgrade_AnyPath_AcceptedAndDelivers_Section3_1(string path)
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, path, user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("5"));

        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"5"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Upgrade_TokenInAuthorizationHeader_Accepted_Section4_1()
    {
        var user = await fixture.Database.CreateUserAsync();

        await using var socket = await TestWebSocket.ConnectAsync(_server, bearer: user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("6"));

        Assert.Equal(WebSocketState.Open, socket.Socket.State);
        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"6"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Upgrade_TokenInAccessTokenQuery_Accepted_Section4_1()
    {
        var user = await fixture.Database.CreateUserAsync();

        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.Socket.HttpStatusCode);
        Assert.Null(socket.Socket.SubProtocol);
    }

    [Fact]
    public async Task Upgrade_TokenAsSubprotocol_AcceptedAndEchoed_Section3_1()
    {
        var user = await fixture.Database.CreateUserAsync();

        await using var socket = await TestWebSocket.ConnectAsync(_server, subprotocol: user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("7"));

        Assert.Equal(user.Token, socket.Socket.SubProtocol);
        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"7"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Upgrade_AuthorizationHeaderWinsOverQuery_Section4_1()
    {
        var owner = await fixture.Database.CreateUserAsync();
        var other = await fixture.Database.CreateUserAsync();

        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", token: other.Token, bearer: owner.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync($"timeline:{owner.AccountId}");
        await _server.PublishAsync($"timeline:{owner.AccountId}", RailsMessages.Delete("8"));

        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"8"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Upgrade_SuccessfulHandshake_HasRequestIdAndNoCorsHeader_Section3_1()
    {
        var user = await fixture.Database.CreateUserAsync();

        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        var headers = socket.Socket.HttpResponseHeaders!;
        Assert.True(Guid.TryParse(headers["X-Request-Id"].Single(), out _));
        Assert.False(headers.ContainsKey("Access-Control-Allow-Origin"));
        Assert.False(headers.ContainsKey("Cache-Control"));
    }

    [Theory]
    [InlineData(null, "Missing access token")]
    [InlineData("nope", "Invalid access token")]
    public async Task Upgrade_BadToken_Rejected401WithErrorHeaderAndNoCors_Section3_1(string? token, string message)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var uri = new Uri(_server.WebSocketBase, token is null ? "/api/v1/streaming" : "/api/v1/streaming?access_token=" + token);

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None).DefaultTimeout());

        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
        var headers = socket.HttpResponseHeaders!;
        Assert.Equal(message, headers["X-Error-Message"].Single());
        Assert.False(headers.ContainsKey("Access-Control-Allow-Origin"));
        Assert.True(Guid.TryParse(headers["X-Request-Id"].Single(), out _));
    }

    [Fact]
    public async Task Upgrade_InvalidTokenAsSubprotocol_Rejected401_Section4_1()
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.AddSubProtocol("not-a-token");

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri(_server.WebSocketBase, "/api/v1/streaming"), CancellationToken.None).DefaultTimeout());

        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
        Assert.Equal("Invalid access token", socket.HttpResponseHeaders!["X-Error-Message"].Single());
    }

    [Fact]
    public async Task Upgrade_TokenWithTooFewScopes_AcceptedThenSubscribeFails_Section3_1()
    {
        var user = await fixture.Database.CreateUserAsync("profile");
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SubscribeAsync("public:local");
        await socket.SubscribeAsync("public:local");

        Assert.Equal("""{"error":"Access token does not have the required scopes","status":401}""", await socket.ReceiveTextAsync());
        Assert.Equal("""{"error":"Access token does not have the required scopes","status":401}""", await socket.ReceiveTextAsync());
        Assert.Equal(WebSocketState.Open, socket.Socket.State);
    }

    [Fact]
    public async Task StreamQuery_Public_SubscribesAtConnect_Section3_2()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=public:remote", user.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync("timeline:public:remote");

        await _server.PublishAsync("timeline:public:remote", RailsMessages.Delete("9"));

        Assert.Equal("""{"stream":["public:remote"],"event":"delete","payload":"9"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task StreamQuery_HashtagWithTag_UsesQueryTagAndEchoesItRaw_Section3_2()
    {
        var user = await fixture.Database.CreateUserAsync();
        var tag = "Foo" + NewTag();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=hashtag&tag=" + tag, user.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync("timeline:hashtag:" + tag.ToLowerInvariant());

        await _server.PublishAsync("timeline:hashtag:" + tag.ToLowerInvariant(), RailsMessages.Delete("10"));

        Assert.Equal($$"""{"stream":["hashtag","{{tag}}"],"event":"delete","payload":"10"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task StreamQuery_OnlyMediaIgnored_Section3_3()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=public:local&only_media=true", user.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync("timeline:public:local");

        await _server.PublishAsync("timeline:public:local:media", RailsMessages.Delete("media"));
        await _server.PublishAsync("timeline:public:local", RailsMessages.Delete("plain"));

        Assert.Equal("""{"stream":["public:local"],"event":"delete","payload":"plain"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Subscribe_Twice_DeliversOneFramePerEvent_Section3_3()
    {
        var user = await fixture.Database.CreateUserAsync();
        var tag = NewTag();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeAsync("hashtag", $"\"tag\":\"{tag}\"");
        await socket.SubscribeSyncedAsync(_server, "hashtag", $"\"tag\":\"{tag}\"", "timeline:hashtag:" + tag);

        await _server.PublishAsync("timeline:hashtag:" + tag, RailsMessages.Delete("first"));
        await _server.PublishAsync("timeline:hashtag:" + tag, RailsMessages.Delete("second"));

        Assert.Equal($$"""{"stream":["hashtag","{{tag}}"],"event":"delete","payload":"first"}""", await socket.ReceiveTextAsync());
        Assert.Equal($$"""{"stream":["hashtag","{{tag}}"],"event":"delete","payload":"second"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Subscribe_DifferentCaseOfSameTag_KeepsFirstStreamArray_Section3_4()
    {
        var user = await fixture.Database.CreateUserAsync();
        var tag = NewTag();
        var upper = tag.ToUpperInvariant();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeAsync("hashtag", $"\"tag\":\"{upper}\"");
        await socket.SubscribeSyncedAsync(_server, "hashtag", $"\"tag\":\"{tag}\"", "timeline:hashtag:" + tag);

        await _server.PublishAsync("timeline:hashtag:" + tag, RailsMessages.Delete("a"));
        await _server.PublishAsync("timeline:hashtag:" + tag, RailsMessages.Delete("b"));

        Assert.Equal($$"""{"stream":["hashtag","{{upper}}"],"event":"delete","payload":"a"}""", await socket.ReceiveTextAsync());
        Assert.Equal($$"""{"stream":["hashtag","{{upper}}"],"event":"delete","payload":"b"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Subscribe_Success_SendsNoAcknowledgement_Section3_3()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SubscribeAsync("user");
        await socket.SubscribeAsync("public");
        await socket.SendAsync("""{"type":"subscribe","stream":"barrier-not-a-stream"}""");

        // Commands are answered in order: the first frame is the error for the third one, so none came for the two subscribes.
        Assert.Equal(StreamingTestHelpers.UnknownStreamFrame, await socket.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("""{"type":"subscribe","stream":"nope"}""")]
    [InlineData("""{"type":"subscribe"}""")]
    [InlineData("""{"type":"subscribe","stream":42}""")]
    [InlineData("""{"type":"subscribe","stream":"Public"}""")]
    public async Task Subscribe_UnknownStream_ExactErrorFrameAndSocketStaysOpen_Section3_3(string message)
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SendAsync(message);

        Assert.Equal("""{"error":"Unknown stream type","status":400}""", await socket.ReceiveTextAsync());
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("alive"));
        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"alive"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Subscribe_StreamArray_UsesFirstElement_Section3_3()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SendAsync("""{"type":"subscribe","stream":["user","public"]}""");
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("arr"));

        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"arr"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Unsubscribe_UnknownStream_ErrorFrameWithoutStatus_Section3_3()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SendAsync("""{"type":"unsubscribe","stream":"nope"}""");

        Assert.Equal("""{"error":"Error unsubscribing from channel"}""", await socket.ReceiveTextAsync());
        Assert.Equal(WebSocketState.Open, socket.Socket.State);
    }

    [Fact]
    public async Task Unsubscribe_NotSubscribedKnownStream_SilentNoOp_Section3_3()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SendAsync("""{"type":"unsubscribe","stream":"user"}""");
        await socket.SendAsync("""{"type":"subscribe","stream":"barrier-not-a-stream"}""");

        // Commands are answered in order: the first frame is the error for the second one, so the unsubscribe sent nothing.
        Assert.Equal(StreamingTestHelpers.UnknownStreamFrame, await socket.ReceiveTextAsync());
        Assert.Equal(WebSocketState.Open, socket.Socket.State);
    }

    [Fact]
    public async Task Unsubscribe_Subscribed_StopsDelivery_Section3_3()
    {
        var user = await fixture.Database.CreateUserAsync();
        var tag = NewTag();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "hashtag", $"\"tag\":\"{tag}\"", "timeline:hashtag:" + tag);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");

        await socket.SendAsync($$"""{"type":"unsubscribe","stream":"hashtag","tag":"{{tag}}"}""");
        await socket.BarrierAsync();
        await _server.PublishAsync("timeline:hashtag:" + tag, RailsMessages.Delete("gone"));
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("sentinel"));

        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"sentinel"}""", await socket.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{")]
    [InlineData("null")]
    [InlineData("[1,2]")]
    [InlineData("42")]
    [InlineData("\"subscribe\"")]
    [InlineData("""{"type":"ping"}""")]
    [InlineData("""{"stream":"public"}""")]
    public async Task ClientMessage_MalformedOrUnknownType_IgnoredAndSocketStaysOpen_Section3_3(string message)
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SendAsync(message);

        // No reply to the ignored message: the next frame is the barrier's.
        await socket.BarrierAsync();
        Assert.Equal(WebSocketState.Open, socket.Socket.State);
    }

    [Fact]
    public async Task EventFrame_ObjectPayload_ExactTextMatchesSnapshot_Section3_4()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Status("109348677773283527", 77, content: "<p>say \\\"hi\\\" & é</p>"));

        StreamingTestHelpers.AssertSnapshot(ClassName, await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task EventFrame_PublicUpdate_ExactTextMatchesSnapshot_Section3_4()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "public", null, "timeline:public");

        await _server.PublishAsync("timeline:public", RailsMessages.Status("109348677773283528", 78));

        StreamingTestHelpers.AssertSnapshot(ClassName, await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task EventFrame_KeysInOrderStreamEventPayload_Section3_4()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}", """{"payload":{"id":"1"},"queued_at":1,"event":"update"}""");

        var frame = await socket.ReceiveJsonAsync();
        Assert.Equal(["stream", "event", "payload"], frame.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.String, frame.GetProperty("payload").ValueKind);
        Assert.Equal("""{"id":"1"}""", frame.GetProperty("payload").GetString());
    }

    [Fact]
    public async Task EventFrame_NumberPayload_BareJsonNumber_Section3_4()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Event("announcement.delete", "42"));

        Assert.Equal("""{"stream":["user"],"event":"announcement.delete","payload":42}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task EventFrame_StringPayloadZero_DeliveredAsString_Section6_1()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("0"));

        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"0"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task BinaryFrame_ClosesWith1003AndExactReason_Section3_3()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None).DefaultTimeout();

        var (status, description) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, status);
        Assert.Equal("The mastodon streaming server does not support binary messages", description);
    }

    [Fact]
    public async Task Kill_OnAccessTokenChannel_EmptyCloseFrame_Section3_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:access_token:{user.TokenId}");

        await _server.PublishAsync($"timeline:access_token:{user.TokenId}", RailsMessages.Kill());

        // ClientWebSocket reports an empty close frame as 1000 (as websocket-driver does); browsers and Node's ws
        // say 1005. The bytes themselves are checked by Kill_OnWire_CloseFrameHasEmptyPayload_Section3_5.
        var (status, description) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.True(string.IsNullOrEmpty(description));
    }

    [Fact]
    public async Task Kill_OnWire_CloseFrameHasEmptyPayload_Section3_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        using var raw = await RawWebSocket.ConnectAsync(_server, "/api/v1/streaming?access_token=" + user.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:access_token:{user.TokenId}");

        await _server.PublishAsync($"timeline:access_token:{user.TokenId}", RailsMessages.Kill());

        var frame = await raw.ReadFrameAsync();
        Assert.NotNull(frame);
        Assert.Equal(WebSocketOpcode.Close, frame.Value.Opcode);
        Assert.Empty(frame.Value.Payload);
    }

    [Fact]
    public async Task Kill_OnSystemChannelWithSubscriptions_EmptyCloseFrame_Section3_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync($"timeline:system:{user.AccountId}");

        await _server.PublishAsync($"timeline:system:{user.AccountId}", RailsMessages.Kill());

        // ClientWebSocket reports an empty close frame as 1000 (as websocket-driver does); browsers and Node's ws
        // say 1005. The bytes themselves are checked by Kill_OnWire_CloseFrameHasEmptyPayload_Section3_5.
        var (status, description) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.True(string.IsNullOrEmpty(description));
    }

    [Fact]
    public async Task Kill_ConnectionClosed_RedisChannelsReleased_Section3_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:access_token:{user.TokenId}", RailsMessages.Kill());
        await socket.ReceiveCloseAsync();

        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}", subscribed: false);
        await _server.WaitForRedisSubscriptionAsync($"timeline:access_token:{user.TokenId}", subscribed: false);
        await _server.WaitForRedisSubscriptionAsync($"timeline:system:{user.AccountId}", subscribed: false);
    }

    [Fact]
    public async Task Kill_OtherTokensChannel_DoesNotCloseSocket_Section5_7()
    {
        var user = await fixture.Database.CreateUserAsync();
        var other = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:access_token:{other.TokenId}", RailsMessages.Kill());
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("still-here"));

        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"still-here"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task TokenRevokedAfterConnect_KillClosesAndReconnectRejected_Section5_7()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync($"timeline:access_token:{user.TokenId}");

        await fixture.Database.ExecuteAsync("UPDATE oauth_access_tokens SET revoked_at = now() WHERE id = $1", user.TokenId);
        await _server.PublishAsync($"timeline:access_token:{user.TokenId}", RailsMessages.Kill());

        var (status, description) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.True(string.IsNullOrEmpty(description));
        using var again = new ClientWebSocket();
        again.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => again.ConnectAsync(new Uri(_server.WebSocketBase, "/api/v1/streaming?access_token=" + user.Token), CancellationToken.None).DefaultTimeout());
        Assert.Equal(HttpStatusCode.Unauthorized, again.HttpStatusCode);
        Assert.Equal("Invalid access token", again.HttpResponseHeaders!["X-Error-Message"].Single());
    }

    [Fact]
    public async Task TokenRevokedAfterConnect_WithoutKill_ConnectionKeepsStreaming_Section5_4()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");

        await fixture.Database.ExecuteAsync("UPDATE oauth_access_tokens SET revoked_at = now() WHERE id = $1", user.TokenId);
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("after-revoke"));

        // Authentication happens once at connect; only the kill event (Rails' job) ends the session.
        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"after-revoke"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task ClientClose_NormalClosure_ServerReleasesChannels_Section3_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");

        await socket.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).DefaultTimeout();
        var status = socket.Socket.CloseStatus;
        await socket.DisposeAsync();

        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}", subscribed: false);
    }
}
