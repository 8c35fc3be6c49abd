using System.Text.Json;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using AotStreaming.Testing;
using StackExchange.Redis;
using Xunit;

namespace AotStreaming.Reliability;

/// <summary>Lowers Kestrel's header timeout so the slow-loris test can see the server give up.</summary>
public sealed class HostileInputFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments => ["--Streaming:Limits:RequestHeadersTimeoutSeconds=2"];
}

/// <summary>
/// Reference §3.3 (client messages) and §3.1 (upgrade), attacked: after each hostile input the server process is
/// still running and a bystander client on another connection still receives a published event.
/// </summary>
public sealed class HostileInputTests(HostileInputFixture fixture) : IClassFixture<HostileInputFixture>
{
    private readonly StreamingServer _server = fixture.Server;

    [Fact]
    public async Task ClientMessage_MalformedAndDeeplyNestedJson_IgnoredSocketStillServes_Section3_3()
    {
        var (bystanderUser, bystander) = await BystanderAsync();
        var user = await fixture.Database.CreateUserAsync();
        await using var ws = await TestWebSocket.ConnectAsync(_server, token: user.Token);

        await ws.SendAsync("{\"type\":\"subscribe\",\"stream\":");
        await ws.SendAsync("not json at all");
        await ws.SendAsync(new string('[', 10_000));
        await ws.SendAsync(new string('{', 5_000));
        await ws.SendAsync("[{\"type\":\"subscribe\",\"stream\":\"public\"}]");
        await ws.SendAsync("{\"type\":\"subscribe\",\"stream\":\"nope\"}");

        Assert.Equal("""{"error":"Unknown stream type","status":400}""", await ws.ReceiveTextAsync());
        await AssertAliveAsync(bystanderUser, bystander);
    }

    [Fact]
    public async Task ClientMessage_InvalidUtf8Text_ClosedWith1007_Section3_3()
    {
        var (bystanderUser, bystander) = await BystanderAsync();
        var user = await fixture.Database.CreateUserAsync();
        await using var ws = await TestWebSocket.ConnectAsync(_server, token: user.Token);

        await ws.Socket.SendAsync(new byte[] { 0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d }, WebSocketMessageType.Text, true, CancellationToken.None).DefaultTimeout();
        var (status, _) = await ws.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status);
        await AssertAliveAsync(bystanderUser, bystander);
    }

    [Fact]
    public async Task ClientMessage_Over16KiB_ClosedWith1009MessageTooBig_Section3_3()
    {
        var (bystanderUser, bystander) = await BystanderAsync();
        var user = await fixture.Database.CreateUserAsync();
        await using var ws = await TestWebSocket.ConnectAsync(_server, token: user.Token);

        await ws.SendAsync("{\"type\":\"subscribe\",\"stream\":\"" + new string('x', 17 * 1024) + "\"}");
        var (status, description) = await ws.ReceiveCloseAsync();

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.Equal("Message too big", description);
        await AssertAliveAsync(bystanderUser, bystander);
    }

    [Fact]
    public async Task ClientMessage_SubscribeSplitInFragments_Subscribes_Section3_3()
    {
        var (bystanderUser, bystander) = await BystanderAsync();
        var user = await fixture.Database.CreateUserAsync();
        var tag = "frag" + user.AccountId;
        await using var ws = await TestWebSocket.ConnectAsync(_server, token: user.Token);
        var parts = new[] { "{\"type\":\"sub", "scribe\",\"stream\":\"hash", "tag\",\"tag\":\"" + tag + "\"}" };

        for (var i = 0; i < parts.Length; i++)
        {
            await ws.Socket.SendAsync(Encoding.UTF8.GetBytes(parts[i]), WebSocketMessageType.Text, i == parts.Length - 1, CancellationToken.None).DefaultTimeout();
        }

        await _server.WaitForRedisSubscriptionAsync($"timeline:hashtag:{tag}");
        await _server.PublishAsync($"timeline:hashtag:{tag}", RailsMessages.Status("501", bystanderUser.AccountId, bystanderUser.Username));
        var frame = await ws.ReceiveJsonAsync();
        Assert.Equal("hashtag", frame.GetProperty("stream")[0].GetString());
        Assert.Contains("\"id\":\"501\"", frame.GetProperty("payload").GetString(), StringComparison.Ordinal);
        await AssertAliveAsync(bystanderUser, bystander);
    }

    [Fact]
    public async Task ClientMessage_ThousandsOfSubscribes_RateLimitedWith429Frames_Section3_3()
    {
        var (bystanderUser, bystander) = await BystanderAsync();
        var user = await fixture.Database.CreateUserAsync();
        await using var ws = await TestWebSocket.ConnectAsync(_server, token: user.Token);

        var sent = 0;
        try
        {
            for (; sent < 3000; sent++)
            {
                await ws.SendAsync("{\"type\":\"subscribe\",\"stream\":\"public:local\"}");
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The server may close a flooding socket; it must do so cleanly (checked below).
        }

        string? first = null;
        try
        {
            first = await ws.ReceiveTextAsync();
        }
        catch (WebSocketClosedException)
        {
        }

        Assert.Equal(3000, sent);
        Assert.Equal("""{"error":"Too many requests","status":429}""", first);
        Assert.Matches(@"\naot_streaming_rejected_subscriptions_total [1-9]", await _server.MetricsAsync());

        // At most one notice per second, so the flooder is not dropped as slow: it still gets its stream, with
        // no more than a few further notices (one per second the flood lasted) in front of the status.
        await _server.WaitForRedisSubscriptionAsync("timeline:public:local");
        var id = MastodonDatabase.NextId().ToString();
        await _server.PublishAsync("timeline:public:local", RailsMessages.Status(id, user.AccountId, user.Username));
        var notices = 0;
        while (true)
        {
            var frame = await ws.ReceiveTextAsync();
            if (frame.Contains("\"event\":\"update\"", StringComparison.Ordinal))
            {
                Assert.Contains($"\\\"id\\\":\\\"{id}\\\"", frame, StringComparison.Ordinal);
                break;
            }

            Assert.Equal("""{"error":"Too many requests","status":429}""", frame);
            Assert.True(++notices <= 30, "more than one 429 notice per second of flooding");
        }

        await AssertAliveAsync(bystanderUser, bystander);
    }

    [Fact]
    public async Task ClientMessage_MoreThan100Subscriptions_Refused429_Section3_3()
    {
        var (bystanderUser, bystander) = await BystanderAsync();
        var user = await fixture.Database.CreateUserAsync();
        await using var ws = await TestWebSocket.ConnectAsync(_server, token: user.Token);

        for (var i = 0; i <= 100; i++)
        {
            await ws.SubscribeAsync("hashtag", $"\"tag\":\"many{user.AccountId}x{i}\"");
        }

        Assert.Equal("""{"error":"Too many subscriptions","status":429}""", await ws.ReceiveTextAsync());
        await AssertAliveAsync(bystanderUser, bystander);
    }

    [Fact]
    public async Task ClientMessage_NumericTag_Answers500Frame_Section3_3()
    {
        var (bystanderUser, bystander) = await BystanderAsync();
        var user = await fixture.Database.CreateUserAsync();
        await using var ws = await TestWebSocket.ConnectAsync(_server, token: user.Token);

        await ws.SendAsync("""{"type":"subscribe","stream":"hashtag","tag":5}""");

        Assert.Equal("""{"error":"An unexpected error occurred","status":500}""", await ws.ReceiveTextAsync());
        await AssertAliveAsync(bystanderUser, bystander);
    }

    [Fact]
    public async Task ClientMessage_SqlLookingListId_Refused401_TableIntact_Section3_3()
    {
        var (bystanderUser, bystander) = await BystanderAsync();
        var user = await fixture.Database.CreateUserAsync();
        await using var ws = await TestWebSocket.ConnectAsync(_server, token: user.Token);

        await ws.SendAsync("""{"type":"subscribe","stream":"list","list":"1; DROP TABLE lists"}""");
        await ws.SendAsync("""{"type":"subscribe","stream":"list","list":"1' OR '1'='1"}""");

        Assert.Equal("""{"error":"Not authorized to stream this list","status":401}""", await ws.ReceiveTextAsync());
        Assert.Equal("""{"error":"Not authorized to stream this list","status":401}""", await ws.ReceiveTextAsync());
        Assert.Equal("lists", (await fixture.Database.ScalarAsync("SELECT to_regclass('lists')::text"))?.ToString());
        await AssertAliveAsync(bystanderUser, bystander);
    }

    [Fact]
    public async Task RedisMessage_HugeAndGarbagePayloadsOnEveryChannel_SkippedStreamsContinue_Section5_2()
    {
        var (bystanderUser, bystander) = await BystanderAsync();
        var user = await fixture.Database.CreateUserAsync();
        var listId = (long)(await fixture.Database.ScalarAsync("INSERT INTO lists (account_id, title) VALUES ($1, 'l') RETURNING id", user.AccountId))!;
        var tag = "garbage" + user.AccountId;
        await using var ws = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token);
        foreach (var stream in new[] { "public", "public:local", "public:remote", "public:media", "direct" })
        {
            await ws.SubscribeAsync(stream);
        }

        await ws.SubscribeAsync("hashtag", $"\"tag\":\"{tag}\"");
        await ws.SubscribeAsync("hashtag:local", $"\"tag\":\"{tag}\"");
        await ws.SubscribeAsync("list", $"\"list\":\"{listId}\"");
        string[] channels =
        [
            "timeline:public", "timeline:public:local", "timeline:public:remote", "timeline:public:media",
            $"timeline:hashtag:{tag}", $"timeline:hashtag:{tag}:local", $"timeline:{user.AccountId}",
            $"timeline:{user.AccountId}:notifications", $"timeline:list:{listId}", $"timeline:direct:{user.AccountId}",
            $"timeline:system:{user.AccountId}", $"timeline:access_token:{user.TokenId}",
        ];
        foreach (var channel in channels)
        {
            await _server.WaitForRedisSubscriptionAsync(channel);
        }

        var random = new byte[1 << 20];
        new Random(42).NextBytes(random);
        RedisValue[] garbage =
        [
            random,
            new string('x', 1 << 20),
            "{\"event\":\"update\",\"payload\":" + new string('[', 1 << 20),
            "{\"event\":\"update\",\"payload\":{\"id\":\"1\",\"content\":\"" + new string('y', 1 << 20),
            "", "null", "[]", "42", "\"str\"", "{\"event\":\"update\",\"payload\":{\"id\":", "{\"event\":\"" + new string('e', 100_000) + "\",\"payload\":{}",
            new byte[] { 0x7b, 0x22, 0x65, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d },
        ];
        var subscriber = TestEnvironment.Redis.GetSubscriber();

        foreach (var channel in channels)
        {
            foreach (var message in garbage)
            {
                await subscriber.PublishAsync(_server.Channel(channel), message);
            }
        }

        // ~50 MB in one burst can exceed Redis' own pubsub output limit (32 MB), and Redis then drops the server's
        // subscriber connection; the server reconnects and re-subscribes, but what Redis published meanwhile is gone.
        // So the sentinel is re-published until it arrives: what this test asserts is survival, not that burst.
        var receive = ws.ReceiveJsonAsync();
        for (var attempt = 0; attempt < 20 && !receive.IsCompleted; attempt++)
        {
            await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Status("601", bystanderUser.AccountId, bystanderUser.Username));
            await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(1)));
        }

        var next = await receive;

        Assert.Equal("user", next.GetProperty("stream")[0].GetString());
        Assert.Contains("\"id\":\"601\"", next.GetProperty("payload").GetString(), StringComparison.Ordinal);
        Assert.Equal(WebSocketState.Open, ws.Socket.State);
        await AssertAliveAsync(bystanderUser, bystander);
    }

    [Fact]
    public async Task Http_MalformedRequestLine_Answers400_Section2_1()
    {
        var (bystanderUser, bystander) = await BystanderAsync();

        var garbage = await RawHttpAsync("\u0001GARBAGE /\u0000 HTTP/9.9\r\n\r\n");
        var badHeader = await RawHttpAsync("GET /api/v1/streaming/health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", garbage, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", badHeader, StringComparison.Ordinal);
        await AssertAliveAsync(bystanderUser, bystander);
    }

    [Theory]
    [InlineData("/api/v1/streaming/public?%zz=%")]
    [InlineData("/api/v1/streaming/public?access_token=%ff%fe&tag=%00")]
    [InlineData("/api/v1/streaming/hashtag?tag=%zz%")]
    public async Task Http_MalformedQueryString_AnswersMissingOrInvalidToken_Section2_3(string pathAndQuery)
    {
        var (bystanderUser, bystander) = await BystanderAsync();
        using var http = new HttpClient { BaseAddress = _server.HttpBase };

        using var response = await http.GetAsync(pathAndQuery).DefaultTimeout();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Matches("""^\{"error":"(Missing|Invalid) access token"\}$""", await response.Content.ReadAsStringAsync());
        await AssertAliveAsync(bystanderUser, bystander);
    }

    [Fact]
    public async Task Http_HeadersOver32KiB_Answers431_Section2_1()
    {
        var (bystanderUser, bystander) = await BystanderAsync();
        using var http = new HttpClient { BaseAddress = _server.HttpBase };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/streaming/health");
        request.Headers.TryAddWithoutValidation("X-Padding", new string('a', 33 * 1024));

        using var response = await http.SendAsync(request).DefaultTimeout();

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        await AssertAliveAsync(bystanderUser, bystander);
    }

    [Fact]
    public async Task Http_SlowLorisHeaders_ConnectionClosedHealthStillServed_Section2_1()
    {
        var (bystanderUser, bystander) = await BystanderAsync();
        using var loris = new TcpClient();
        await loris.ConnectAsync(IPAddress.Loopback, _server.Port).DefaultTimeout();
        var stream = loris.GetStream();
        var header = Encoding.ASCII.GetBytes("GET /api/v1/streaming/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
        using var http = new HttpClient { BaseAddress = _server.HttpBase };

        var closed = ReadUntilClosedAsync(stream);
        using var drip = new CancellationTokenSource();
        var dripping = DripAsync(stream, header, drip.Token);
        using var health = await http.GetAsync("/api/v1/streaming/health").DefaultTimeout();
        var answer = await closed.DefaultTimeout();
        await drip.CancelAsync();
        await dripping;

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.DoesNotContain("200 OK", answer, StringComparison.Ordinal);
        await AssertAliveAsync(bystanderUser, bystander);
    }

    private static async Task DripAsync(NetworkStream stream, byte[] header, CancellationToken cancel)
    {
        try
        {
            for (var i = 0; !cancel.IsCancellationRequested; i++)
            {
                await stream.WriteAsync(new[] { i < header.Length ? header[i] : (byte)'a' }, cancel);
                await Task.Delay(100, cancel);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static async Task<string> ReadUntilClosedAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        var text = new StringBuilder();
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
            // A reset is a close too.
        }

        return text.ToString();
    }

    private async Task<string> RawHttpAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _server.Port).DefaultTimeout();
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request)).AsTask().DefaultTimeout();
        return await ReadUntilClosedAsync(stream).DefaultTimeout();
    }

    private async Task<(TestUser User, TestWebSocket Socket)> BystanderAsync()
    {
        var user = await fixture.Database.CreateUserAsync();
        var ws = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");
        return (user, ws);
    }

    /// <summary>The process still runs and a client on another connection still gets its events.</summary>
    private async Task AssertAliveAsync(TestUser user, TestWebSocket bystander)
    {
        await using var _ = bystander;
        var id = MastodonDatabase.NextId().ToString();
        Assert.False(_server.HasExited);

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Status(id, user.AccountId, user.Username));

        var frame = await bystander.ReceiveJsonAsync();
        Assert.Contains($"\"id\":\"{id}\"", frame.GetProperty("payload").GetString(), StringComparison.Ordinal);
    }
}
