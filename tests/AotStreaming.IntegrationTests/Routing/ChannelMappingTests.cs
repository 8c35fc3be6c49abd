using AotStreaming.Testing;
using StackExchange.Redis;
using Xunit;

namespace AotStreaming.Routing;

/// <summary>Reference §5.1–§5.6: channel names → Redis channels, stream arrays, reference counting, presence keys.</summary>
public sealed class ChannelMappingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly StreamingServer _server = fixture.Server;

    private static string NewTag() => "t" + Guid.NewGuid().ToString("N")[..12];

    private async Task<long> CreateListAsync(long accountId) =>
        (long)(await fixture.Database.ScalarAsync("INSERT INTO lists (account_id, title) VALUES ($1, 'l') RETURNING id", accountId))!;

    [Fact]
    public async Task User_HomeUpdate_FramedWithUserStream_Section5_1()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Event("update", """{"id":"1"}"""));

        Assert.Equal("""{"stream":["user"],"event":"update","payload":"{\"id\":\"1\"}"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task User_Notification_DeliveredWithUserStream_Section3_4()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}:notifications");

        await _server.PublishAsync($"timeline:{user.AccountId}:notifications", RailsMessages.Event("notification", """{"id":"2","type":"follow"}"""));

        Assert.Equal("""{"stream":["user"],"event":"notification","payload":"{\"id\":\"2\",\"type\":\"follow\"}"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task User_TokenWithReadStatusesOnly_NoNotificationsChannel_Section5_2()
    {
        var user = await fixture.Database.CreateUserAsync("read:statuses");
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}:notifications", RailsMessages.Event("notification", """{"id":"3"}"""));
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("sentinel"));

        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"sentinel"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task UserAndUserNotification_BothActive_NotificationArrivesOncePerStream_Section3_4()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeAsync("user");
        await socket.SubscribeSyncedAsync(_server, "user:notification", null, $"timeline:{user.AccountId}:notifications");

        await _server.PublishAsync($"timeline:{user.AccountId}:notifications", RailsMessages.Event("notification", """{"id":"4"}"""));
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("sentinel"));

        var frames = new[] { await socket.ReceiveTextAsync(), await socket.ReceiveTextAsync() };
        Assert.Equal(
            [
                """{"stream":["user"],"event":"notification","payload":"{\"id\":\"4\"}"}""",
                """{"stream":["user:notification"],"event":"notification","payload":"{\"id\":\"4\"}"}""",
            ],
            frames.Order(StringComparer.Ordinal));
        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"sentinel"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task UserNotification_HomeChannelNotIncluded_Section5_1()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "user:notification", null, $"timeline:{user.AccountId}:notifications");

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("home"));
        await _server.PublishAsync($"timeline:{user.AccountId}:notifications", RailsMessages.Event("notifications_merged", "\"1\""));

        Assert.Equal("""{"stream":["user:notification"],"event":"notifications_merged","payload":"1"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Direct_Conversation_FramedWithDirectStream_Section5_1()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "direct", null, $"timeline:direct:{user.AccountId}");

        await _server.PublishAsync($"timeline:direct:{user.AccountId}", """{"event":"conversation","payload":{"id":"5","unread":true},"queued_at":1764324000000}""");

        Assert.Equal("""{"stream":["direct"],"event":"conversation","payload":"{\"id\":\"5\",\"unread\":true}"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task List_OwnedListAsString_StreamArrayKeepsString_Section3_4()
    {
        var user = await fixture.Database.CreateUserAsync();
        var list = await CreateListAsync(user.AccountId);
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "list", $"\"list\":\"{list}\"", $"timeline:list:{list}");

        await _server.PublishAsync($"timeline:list:{list}", RailsMessages.Delete("6"));

        Assert.Equal($$"""{"stream":["list","{{list}}"],"event":"delete","payload":"6"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task List_OwnedListAsNumber_StreamArrayKeepsNumber_Section3_4()
    {
        var user = await fixture.Database.CreateUserAsync();
        var list = await CreateListAsync(user.AccountId);
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "list", $"\"list\":{list}", $"timeline:list:{list}");

        await _server.PublishAsync($"timeline:list:{list}", RailsMessages.Delete("7"));

        Assert.Equal($$"""{"stream":["list",{{list}}],"event":"delete","payload":"7"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task List_QueryParameterAtConnect_Subscribes_Section3_2()
    {
        var user = await fixture.Database.CreateUserAsync();
        var list = await CreateListAsync(user.AccountId);
        await using var socket = await TestWebSocket.ConnectAsync(_server, $"/api/v1/streaming?stream=list&list={list}", user.Token);
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync($"timeline:list:{list}");

        await _server.PublishAsync($"timeline:list:{list}", RailsMessages.Delete("8"));

        Assert.Equal($$"""{"stream":["list","{{list}}"],"event":"delete","payload":"8"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task List_SomeoneElsesList_401ErrorFrame_Section5_4()
    {
        var owner = await fixture.Database.CreateUserAsync();
        var intruder = await fixture.Database.CreateUserAsync();
        var list = await CreateListAsync(owner.AccountId);
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", intruder.Token);

        await socket.SubscribeAsync("list", $"\"list\":\"{list}\"");

        Assert.Equal("""{"error":"Not authorized to stream this list","status":401}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task List_MissingParameter_400ErrorFrame_Section2_4()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SubscribeAsync("list");

        Assert.Equal("""{"error":"Missing list name parameter","status":400}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Hashtag_MissingTag_400ErrorFrame_Section2_4()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SubscribeAsync("hashtag:local");

        Assert.Equal("""{"error":"Missing tag name parameter","status":400}""", await socket.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("hashtag", "Café", "timeline:hashtag:cafe")]
    [InlineData("hashtag:local", "Café", "timeline:hashtag:cafe:local")]
    [InlineData("hashtag", "İstanbul", "timeline:hashtag:istanbul")]
    [InlineData("hashtag:local", "İstanbul", "timeline:hashtag:istanbul:local")]
    [InlineData("hashtag", "#Foo-Bar", "timeline:hashtag:foobar")]
    [InlineData("hashtag", "ＭａｓｔｏｄｏｎＦｕｌｌ", "timeline:hashtag:mastodonfull")]
    public async Task Hashtag_Tag_NormalisedChannelAndRawTagInStream_Section5_3(string stream, string tag, string channel)
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, stream, $"\"tag\":\"{tag}\"", channel);

        await _server.PublishAsync(channel, RailsMessages.Delete("9"));

        Assert.Equal($$"""{"stream":["{{stream}}","{{tag}}"],"event":"delete","payload":"9"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Hashtag_PublishedOnUnnormalisedChannel_NotDelivered_Section5_3()
    {
        var user = await fixture.Database.CreateUserAsync();
        var tag = NewTag();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "hashtag", $"\"tag\":\"{tag.ToUpperInvariant()}\"", "timeline:hashtag:" + tag);

        await _server.PublishAsync("timeline:hashtag:" + tag.ToUpperInvariant(), RailsMessages.Delete("raw"));
        await _server.PublishAsync("timeline:hashtag:" + tag, RailsMessages.Delete("normalised"));

        Assert.Equal($$"""{"stream":["hashtag","{{tag.ToUpperInvariant()}}"],"event":"delete","payload":"normalised"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task Namespace_PublishWithoutPrefix_NotDelivered_Section5_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        Assert.NotEqual("", _server.Namespace);
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");

        await TestEnvironment.Redis.GetSubscriber().PublishAsync(RedisChannel.Literal($"timeline:{user.AccountId}"), RailsMessages.Delete("bare"));
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("prefixed"));

        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"prefixed"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task RefCount_OneOfTwoClientsUnsubscribes_ChannelStaysSubscribed_Section5_8()
    {
        var first = await fixture.Database.CreateUserAsync();
        var second = await fixture.Database.CreateUserAsync();
        var tag = NewTag();
        var channel = "timeline:hashtag:" + tag;
        await using var a = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", first.Token);
        await using var b = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", second.Token);
        await a.SubscribeSyncedAsync(_server, "hashtag", $"\"tag\":\"{tag}\"", channel);
        await b.SubscribeSyncedAsync(_server, "hashtag", $"\"tag\":\"{tag}\"", channel);

        await a.SendAsync($$"""{"type":"unsubscribe","stream":"hashtag","tag":"{{tag}}"}""");
        await a.BarrierAsync();
        await _server.PublishAsync(channel, RailsMessages.Delete("still"));

        Assert.Equal($$"""{"stream":["hashtag","{{tag}}"],"event":"delete","payload":"still"}""", await b.ReceiveTextAsync());
        var numsub = (RedisResult[])(await TestEnvironment.Redis.GetServer(TestEnvironment.Redis.GetEndPoints()[0]).ExecuteAsync("PUBSUB", "NUMSUB", _server.Key(channel)))!;
        // Exactly one: the server's single subscriber connection, still subscribed once for the remaining client.
        Assert.Equal(1L, (long)numsub[1]);
    }

    [Fact]
    public async Task RefCount_BothClientsLeave_ChannelUnsubscribed_Section5_8()
    {
        var first = await fixture.Database.CreateUserAsync();
        var second = await fixture.Database.CreateUserAsync();
        var tag = NewTag();
        var channel = "timeline:hashtag:" + tag;
        await using var a = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", first.Token);
        await using var b = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", second.Token);
        await a.SubscribeSyncedAsync(_server, "hashtag", $"\"tag\":\"{tag}\"", channel);
        await b.SubscribeSyncedAsync(_server, "hashtag", $"\"tag\":\"{tag}\"", channel);

        await a.SendAsync($$"""{"type":"unsubscribe","stream":"hashtag","tag":"{{tag}}"}""");
        await b.SendAsync($$"""{"type":"unsubscribe","stream":"hashtag","tag":"{{tag}}"}""");
        await a.BarrierAsync();
        await b.BarrierAsync();

        await _server.WaitForRedisSubscriptionAsync(channel, subscribed: false);
    }

    [Fact]
    public async Task Presence_UserSubscription_SetsTimelineAndNotificationsKeysWithTtl_Section5_6()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");

        foreach (var key in new[] { $"subscribed:timeline:{user.AccountId}", $"subscribed:timeline:{user.AccountId}:notifications" })
        {
            var ttl = await StreamingTestHelpers.WaitForKeyTtlAsync(_server.Key(key));
            Assert.NotNull(ttl);
            Assert.InRange(ttl.Value.TotalSeconds, 1000, 1080);
            Assert.Equal("1", (string?)await TestEnvironment.Redis.GetDatabase().StringGetAsync(_server.Key(key)));
        }
    }

    [Fact]
    public async Task Presence_HashtagSubscription_KeyUsesNormalisedTag_Section5_6()
    {
        var user = await fixture.Database.CreateUserAsync();
        var tag = NewTag();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SubscribeSyncedAsync(_server, "hashtag", $"\"tag\":\"{tag.ToUpperInvariant()}\"", "timeline:hashtag:" + tag);

        var ttl = await StreamingTestHelpers.WaitForKeyTtlAsync(_server.Key("subscribed:timeline:hashtag:" + tag));
        Assert.InRange(ttl!.Value.TotalSeconds, 1000, 1080);
    }

    [Fact]
    public async Task Presence_SseListSubscription_SetsListKey_Section5_6()
    {
        var user = await fixture.Database.CreateUserAsync();
        var list = await CreateListAsync(user.AccountId);

        await using var sse = await TestSseClient.ConnectAsync(_server, $"/api/v1/streaming/list?list={list}", user.Token);

        var ttl = await StreamingTestHelpers.WaitForKeyTtlAsync(_server.Key($"subscribed:timeline:list:{list}"));
        Assert.InRange(ttl!.Value.TotalSeconds, 1000, 1080);
    }

    [Fact]
    public async Task Presence_SystemChannels_NoKeys_Section5_6()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);
        await socket.SubscribeSyncedAsync(_server, "direct", null, $"timeline:direct:{user.AccountId}");
        await StreamingTestHelpers.WaitForKeyTtlAsync(_server.Key($"subscribed:timeline:direct:{user.AccountId}"));

        var database = TestEnvironment.Redis.GetDatabase();

        Assert.False(await database.KeyExistsAsync(_server.Key($"subscribed:timeline:access_token:{user.TokenId}")));
        Assert.False(await database.KeyExistsAsync(_server.Key($"subscribed:timeline:system:{user.AccountId}")));
    }
}
