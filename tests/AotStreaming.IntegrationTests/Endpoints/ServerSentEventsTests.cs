using System.Net;
using System.Text;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Endpoints;

/// <summary>Reference §2.5 and §2.2: the SSE response, its framing and the only_media switch.</summary>
public sealed class ServerSentEventsTests(NoHeartbeatFixture fixture) : IClassFixture<NoHeartbeatFixture>
{
    private readonly StreamingServer _server = fixture.Server;

    [Fact]
    public async Task Sse_Connect_SendsEventStreamHeaders_Section2_5()
    {
        var user = await fixture.Database.CreateUserAsync();

        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);

        var response = sse.Response;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("private, no-store", response.Headers.NonValidated["Cache-Control"].ToString());
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.Null(response.Content.Headers.ContentLength);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Sse_Connect_FirstBytesArePrefaceWithOneNewline_Section2_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var raw = await RawSse.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);

        var first = await raw.ReadExactlyAsync(3);

        Assert.Equal(":)\n", first);
    }

    [Fact]
    public async Task Sse_ObjectPayload_WrittenAsEventAndDataLinesWithOriginalJson_Section2_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);
        Assert.Equal(":)", await sse.ReadLineAsync());
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");
        const string payload = """{"id":"501","content":"<p>a \"quoted\" é</p>","nested":{"b":[1,2.5,true,null]},"account":{"id":"9"}}""";

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Event("update", payload));

        Assert.Equal("event: update", await sse.ReadLineAsync());
        Assert.Equal("data: " + payload, await sse.ReadLineAsync());
        Assert.Equal("", await sse.ReadLineAsync());
    }

    [Fact]
    public async Task Sse_StringPayload_WrittenRawWithoutQuotes_Section2_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("109348677773283527"));

        Assert.Equal(("delete", "109348677773283527"), await sse.ReadEventAsync());
    }

    [Fact]
    public async Task Sse_NumberPayload_WrittenAsBareDigits_Section2_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Event("announcement.delete", "42"));

        Assert.Equal(("announcement.delete", "42"), await sse.ReadEventAsync());
    }

    [Fact]
    public async Task Sse_SeveralEvents_ExactByteStreamMatchesSnapshot_Section2_5()
    {
        const string Sentinel = "event: delete\ndata: end-of-snapshot\n\n";
        var user = await fixture.Database.CreateUserAsync();
        await using var raw = await RawSse.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}:notifications");

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Status("109348677773283527", 77, content: "<p>snapshot</p>"));
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("109348677773283527"));
        await _server.PublishAsync($"timeline:{user.AccountId}:notifications", RailsMessages.Event("notifications_merged", "\"1\""));
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Event("announcement.delete", "42"));
        // A sentinel after the snapshot's events: everything the server wrote before it is compared, so an extra
        // or duplicated frame fails the test instead of being left unread.
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("end-of-snapshot"));

        var stream = await raw.ReadThroughAsync(Sentinel);

        Assert.EndsWith(Sentinel, stream, StringComparison.Ordinal);
        StreamingTestHelpers.AssertSnapshot(nameof(ServerSentEventsTests), stream[..^Sentinel.Length]);
    }

    [Theory]
    [InlineData("true", "public:media")]
    [InlineData("1", "public:media")]
    [InlineData("False", "public:media")]
    [InlineData("yes", "public:media")]
    [InlineData("false", "public")]
    [InlineData("0", "public")]
    [InlineData("off", "public")]
    [InlineData("", "public")]
    public async Task Sse_OnlyMediaTruthiness_SelectsMediaChannel_Section2_2(string value, string expectedChannel)
    {
        var user = await fixture.Database.CreateUserAsync();
        var otherChannel = expectedChannel == "public" ? "public:media" : "public";
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/public?only_media=" + value, user.Token);
        await _server.WaitForMetricAsync("connected_clients{type=\"eventsource\"}", 1);
        await _server.WaitForMetricAsync($"connected_channels{{type=\"eventsource\",channel=\"{expectedChannel}\"}}", 1);
        await _server.WaitForRedisSubscriptionAsync("timeline:" + expectedChannel);

        await _server.PublishAsync("timeline:" + otherChannel, RailsMessages.Delete("1"));
        await _server.PublishAsync("timeline:" + expectedChannel, RailsMessages.Delete("2"));

        Assert.Equal(("delete", "2"), await sse.ReadEventAsync());
    }

    [Fact]
    public async Task Sse_KillOnAccessTokenChannel_EndsStream_Section5_7()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);
        Assert.Equal(":)", await sse.ReadLineAsync());
        await _server.WaitForRedisSubscriptionAsync($"timeline:access_token:{user.TokenId}");

        await _server.PublishAsync($"timeline:access_token:{user.TokenId}", RailsMessages.Kill());

        Assert.Null(await sse.ReadLineAsync());
    }

    [Fact]
    public async Task Sse_KillOnSystemChannel_EndsStream_Section5_7()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/public/local", user.Token);
        Assert.Equal(":)", await sse.ReadLineAsync());
        await _server.WaitForRedisSubscriptionAsync($"timeline:system:{user.AccountId}");

        await _server.PublishAsync($"timeline:system:{user.AccountId}", RailsMessages.Kill());

        Assert.Null(await sse.ReadLineAsync());
    }

    [Fact]
    public async Task Sse_HashtagWithAccents_SubscribesNormalisedChannel_Section5_3()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/hashtag?tag=" + Uri.EscapeDataString("Café"), user.Token);
        await _server.WaitForRedisSubscriptionAsync("timeline:hashtag:cafe");

        await _server.PublishAsync("timeline:hashtag:Café", RailsMessages.Delete("1"));
        await _server.PublishAsync("timeline:hashtag:cafe", RailsMessages.Delete("2"));

        Assert.Equal(("delete", "2"), await sse.ReadEventAsync());
    }

    [Fact]
    public async Task Sse_FiltersChanged_NotWrittenToStream_Section2_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");

        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.FiltersChanged());
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("sentinel"));

        Assert.Equal(("delete", "sentinel"), await sse.ReadEventAsync());
    }

    /// <summary>An SSE response read as raw bytes, for exact-framing assertions.</summary>
    private sealed class RawSse : IAsyncDisposable
    {
        private readonly HttpClient _http;
        private readonly HttpResponseMessage _response;
        private readonly Stream _body;

        private RawSse(HttpClient http, HttpResponseMessage response, Stream body) => (_http, _response, _body) = (http, response, body);

        public static async Task<RawSse> ConnectAsync(StreamingServer server, string path, string token)
        {
            var http = new HttpClient { BaseAddress = server.HttpBase, Timeout = Timeout.InfiniteTimeSpan };
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).DefaultTimeout();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new RawSse(http, response, await response.Content.ReadAsStreamAsync());
        }

        public async Task<string> ReadExactlyAsync(int length)
        {
            var buffer = new byte[length];
            await _body.ReadExactlyAsync(buffer).DefaultTimeout();
            return Encoding.UTF8.GetString(buffer);
        }

        /// <summary>Reads until the stream so far ends with <paramref name="terminator"/>; returns all of it.</summary>
        public async Task<string> ReadThroughAsync(string terminator)
        {
            var bytes = new List<byte>();
            var end = Encoding.UTF8.GetBytes(terminator);
            var one = new byte[1];
            while (bytes.Count < end.Length || !bytes.GetRange(bytes.Count - end.Length, end.Length).SequenceEqual(end))
            {
                await _body.ReadExactlyAsync(one).DefaultTimeout();
                bytes.Add(one[0]);
            }

            return Encoding.UTF8.GetString([.. bytes]);
        }

        public async ValueTask DisposeAsync()
        {
            await _body.DisposeAsync();
            _response.Dispose();
            _http.Dispose();
        }
    }
}
