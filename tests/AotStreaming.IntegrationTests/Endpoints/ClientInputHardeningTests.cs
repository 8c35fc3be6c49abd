using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using AotStreaming.Support;
using AotStreaming.Testing;
using AotStreaming.Testing.WebSockets;
using Xunit;

namespace AotStreaming.Endpoints;

/// <summary>
/// Issue 10, items 8–12, 14 and 15: hostile or unusual client input gets a clear answer (the one upstream gives, where
/// it gives one) or a clean close; never a reset, never an ERR line.
/// </summary>
public sealed partial class ClientInputHardeningTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string ProtocolErrorSeries = "aot_streaming_disconnects_total{reason=\"protocol_error\"}";
    private const string LimitSeries = "aot_streaming_disconnects_total{reason=\"limit\"}";

    private readonly StreamingServer _server = fixture.Server;

    // ---- item 8: lone surrogates, and anything else System.Text.Json refuses to decode ----

    [Theory]
    [InlineData("""{"type":"subscribe","stream":"\ud800"}""", StreamingTestHelpers.UnknownStreamFrame)]
    [InlineData("""{"type":"subscribe","stream":"\udc00x"}""", StreamingTestHelpers.UnknownStreamFrame)]
    [InlineData("""{"type":"subscribe","stream":["\ud800"]}""", StreamingTestHelpers.UnknownStreamFrame)]
    [InlineData("""{"\ud800":1,"type":"subscribe","stream":"nope"}""", StreamingTestHelpers.UnknownStreamFrame)]
    [InlineData("""{"type":"unsubscribe","stream":"\ud800"}""", """{"error":"Error unsubscribing from channel"}""")]
    [InlineData("""{"type":"subscribe","stream":"list","list":"\ud800"}""", """{"error":"Not authorized to stream this list","status":401}""")]
    public async Task Command_LoneSurrogateEscape_AnsweredLikeAnyInvalidCommandAndStaysOpen_Issue10_8(string command, string expectedFrame)
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SendAsync(command);

        Assert.Equal(expectedFrame, await socket.ReceiveTextAsync());
        await socket.BarrierAsync();
        AssertNoErrorLines();
    }

    [Fact]
    public async Task Command_LoneSurrogateInTag_SubscribesLikeUpstreamAndStaysOpen_Issue10_8()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        // JSON.parse keeps the lone surrogate and normalisation drops it (not a letter); here it is U+FFFD, dropped too.
        await socket.SendAsync("""{"type":"subscribe","stream":"hashtag","tag":"sur\ud800rogate"}""");
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync("timeline:hashtag:surrogate");
        await _server.PublishAsync("timeline:hashtag:surrogate", RailsMessages.Delete("8"));

        var frame = await socket.ReceiveJsonAsync();
        Assert.Equal("delete", frame.GetProperty("event").GetString());
        Assert.Equal("8", frame.GetProperty("payload").GetString());
        AssertNoErrorLines();
    }

    // ---- item 9: Sec-WebSocket-Protocol that is not a list of tokens ----

    [Theory]
    [InlineData("a b")]
    [InlineData("x\"y")]
    [InlineData("a/b")]
    [InlineData("a,,b")]
    [InlineData("a, a")]
    [InlineData("a;b")]
    public async Task Upgrade_InvalidSubprotocolCharacters_Rejected400BeforeThe101_Issue10_9(string protocol)
    {
        var user = await fixture.Database.CreateUserAsync();

        var response = await RawHttpResponse.SendAsync(_server, RawHttpResponse.Upgrade(user.Token, extraHeaders: $"Sec-WebSocket-Protocol: {protocol}\r\n"));

        Assert.Equal("HTTP/1.1 400 Bad Request", response.StatusLine);
        Assert.Equal("close", response.Header("Connection"));
        Assert.Equal("Invalid Sec-WebSocket-Protocol header", response.Body);
        AssertNoErrorLines();
    }

    [Fact]
    public async Task Upgrade_ValidSubprotocolList_EchoesTheFirst_Issue10_9()
    {
        var user = await fixture.Database.CreateUserAsync();
        using var socket = await RawWebSocket.ConnectAsync(_server, "/api/v1/streaming?access_token=" + user.Token, "Sec-WebSocket-Protocol: first,\tsecond , third\r\n");

        Assert.Contains("\r\nSec-WebSocket-Protocol: first\r\n", socket.HandshakeResponse, StringComparison.Ordinal);
    }

    // ---- item 10: handshake errors as upstream's ws answers them ----

    [Theory]
    [InlineData(null, "Missing or invalid Sec-WebSocket-Key header")]
    [InlineData("", "Missing or invalid Sec-WebSocket-Key header")]
    [InlineData("not-base64", "Missing or invalid Sec-WebSocket-Key header")]
    [InlineData("dGhlIHNhbXBsZSBub25jZQ", "Missing or invalid Sec-WebSocket-Key header")]
    [InlineData("dGhlIHNhbXBsZSBub25jZXh4eA==", "Missing or invalid Sec-WebSocket-Key header")]
    public async Task Upgrade_BadOrMissingKey_Rejected400WithReasonAndClosed_Issue10_10(string? key, string reason)
    {
        var user = await fixture.Database.CreateUserAsync();

        var response = await RawHttpResponse.SendAsync(_server, RawHttpResponse.Upgrade(user.Token, key: key));

        AssertHandshakeRejection(response, "HTTP/1.1 400 Bad Request", reason);
        Assert.Null(response.Header("Sec-WebSocket-Version"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("12")]
    [InlineData("8")]
    [InlineData("13, 13")]
    [InlineData("abc")]
    public async Task Upgrade_BadOrMissingVersion_Rejected400NamingVersion13_Issue10_10(string? version)
    {
        var user = await fixture.Database.CreateUserAsync();

        var response = await RawHttpResponse.SendAsync(_server, RawHttpResponse.Upgrade(user.Token, version: version));

        AssertHandshakeRejection(response, "HTTP/1.1 400 Bad Request", "Missing or invalid Sec-WebSocket-Version header");
        Assert.Equal("13", response.Header("Sec-WebSocket-Version"));
    }

    [Theory]
    [InlineData("h2c")]
    [InlineData("websocket, h2c")]
    [InlineData("TLS/1.2")]
    public async Task Upgrade_NotWebSocket_Rejected400InvalidUpgradeHeader_Issue10_10(string upgrade)
    {
        var user = await fixture.Database.CreateUserAsync();

        var response = await RawHttpResponse.SendAsync(_server, RawHttpResponse.Upgrade(user.Token, upgrade: upgrade));

        AssertHandshakeRejection(response, "HTTP/1.1 400 Bad Request", "Invalid Upgrade header");
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Upgrade_NotGet_Rejected405InvalidHttpMethod_Issue10_10(string method)
    {
        var user = await fixture.Database.CreateUserAsync();

        var response = await RawHttpResponse.SendAsync(_server, RawHttpResponse.Upgrade(user.Token, method: method));

        // ws answers a method other than GET with 405, not 400 (websocket-server.js handleUpgrade).
        AssertHandshakeRejection(response, "HTTP/1.1 405 Method Not Allowed", "Invalid HTTP method");
    }

    [Fact]
    public async Task Upgrade_BadHandshakeWithoutToken_StillAnswers401First_Issue10_10()
    {
        var request = "POST /api/v1/streaming HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n";

        var response = await RawHttpResponse.SendAsync(_server, request);

        // Mastodon authenticates before ws looks at the handshake (reference §3.1).
        Assert.Equal("HTTP/1.1 401 Unauthorized", response.StatusLine);
        Assert.Equal("Missing access token", response.Header("X-Error-Message"));
        Assert.Equal("", response.Body);
    }

    // ---- item 11: protocol errors are counted as such ----

    [Theory]
    [InlineData(0x81, new byte[] { 0x7b, 0xff, 0x7d }, 1007)]
    [InlineData(0x81, new byte[] { 0xed, 0xa0, 0x80 }, 1007)]
    [InlineData(0xA1, new byte[] { 0x7b, 0x7d }, 1002)]
    [InlineData(0x83, new byte[] { 0x7b, 0x7d }, 1002)]
    [InlineData(0x09, new byte[] { 0x01 }, 1002)]
    public async Task Frame_ProtocolViolation_ClosedWithCodeAndCountedAsProtocolError_Issue10_11(byte first, byte[] payload, int expectedCode)
    {
        var user = await fixture.Database.CreateUserAsync();
        var before = MetricsText.Value(await _server.MetricsAsync(), ProtocolErrorSeries);
        using var socket = await RawWebSocket.ConnectAsync(_server, "/api/v1/streaming?access_token=" + user.Token);

        await socket.SendFrameAsync(first, payload);

        var close = await socket.ReadFrameAsync();
        Assert.NotNull(close);
        Assert.Equal(WebSocketOpcode.Close, close.Value.Opcode);
        Assert.Equal(expectedCode, close.Value.CloseStatus);
        await MetricsText.WaitForAsync(_server, ProtocolErrorSeries, v => v == before + 1);
        AssertNoErrorLines();
    }

    [Fact]
    public async Task Frame_Binary_CountedAsProtocolError_Issue10_11()
    {
        var user = await fixture.Database.CreateUserAsync();
        var before = MetricsText.Value(await _server.MetricsAsync(), ProtocolErrorSeries);
        using var socket = await RawWebSocket.ConnectAsync(_server, "/api/v1/streaming?access_token=" + user.Token);

        await socket.SendFrameAsync(0x82, [1, 2, 3]);

        var close = await socket.ReadFrameAsync();
        Assert.NotNull(close);
        Assert.Equal(WebSocketOpcode.Close, close.Value.Opcode);
        Assert.Equal(1003, close.Value.CloseStatus);
        await MetricsText.WaitForAsync(_server, ProtocolErrorSeries, v => v == before + 1);
    }

    [Fact]
    public async Task Message_OverMaxMessageBytes_Closed1009AndCountedAsLimitNotClient_Issue10_11()
    {
        var user = await fixture.Database.CreateUserAsync();
        var metrics = await _server.MetricsAsync();
        var limitBefore = MetricsText.Value(metrics, LimitSeries);
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SendAsync("{\"type\":\"subscribe\",\"stream\":\"" + new string('x', 17 * 1024) + "\"}");

        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.MessageTooBig, (await socket.ReceiveCloseAsync()).Status);
        // Our own configured bound (Limits:MaxMessageBytes), not a broken frame: counted apart from protocol errors.
        await MetricsText.WaitForAsync(_server, LimitSeries, v => v == limitBefore + 1);
    }

    // ---- item 12: deep nesting parses as JSON.parse would ----

    [Theory]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(256)] // ClientCommand.MaxDepth
    public async Task Command_DeeplyNestedButValid_IsApplied_Issue10_12(int depth)
    {
        var user = await fixture.Database.CreateUserAsync();
        var tag = "deep" + Guid.NewGuid().ToString("N")[..10];
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SendAsync($$"""{"type":"subscribe","stream":"hashtag","tag":"{{tag}}","x":{{new string('[', depth - 1)}}{{new string(']', depth - 1)}}}""");
        await socket.BarrierAsync();
        await _server.WaitForRedisSubscriptionAsync($"timeline:hashtag:{tag}");
        await _server.PublishAsync($"timeline:hashtag:{tag}", RailsMessages.Delete("12"));

        Assert.Equal($$"""{"stream":["hashtag","{{tag}}"],"event":"delete","payload":"12"}""", await socket.ReceiveTextAsync());
        AssertNoErrorLines();
    }

    [Fact]
    public async Task Command_DeeperThanMaxDepth_IgnoredLikeNonJsonAndStaysOpen_Issue10_12()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SendAsync($$"""{"type":"subscribe","stream":"nope","x":{{new string('[', 7000)}}{{new string(']', 7000)}}}""");

        // No "Unknown stream type" for it: the barrier's own error frame is the next frame.
        await socket.BarrierAsync();
        AssertNoErrorLines();
    }

    [Fact]
    public async Task Command_DeeplyNestedInvalid_AnsweredLikeAnyInvalidCommand_Issue10_12()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        // A stream array uses its first element: here another array, so the stream is unknown, as upstream.
        await socket.SendAsync($$"""{"type":"subscribe","stream":{{new string('[', 40)}}"public"{{new string(']', 40)}}}""");

        Assert.Equal(StreamingTestHelpers.UnknownStreamFrame, await socket.ReceiveTextAsync());
        await socket.BarrierAsync();
    }

    // ---- item 14: falsy parameters are missing ----

    [Theory]
    [InlineData("hashtag", "\"tag\":0", "Missing tag name parameter")]
    [InlineData("hashtag", "\"tag\":-0", "Missing tag name parameter")]
    [InlineData("hashtag", "\"tag\":0.0", "Missing tag name parameter")]
    [InlineData("hashtag", "\"tag\":0e5", "Missing tag name parameter")]
    [InlineData("hashtag:local", "\"tag\":false", "Missing tag name parameter")]
    [InlineData("hashtag", "\"tag\":null", "Missing tag name parameter")]
    [InlineData("hashtag", "\"tag\":\"\"", "Missing tag name parameter")]
    [InlineData("list", "\"list\":0", "Missing list name parameter")]
    [InlineData("list", "\"list\":false", "Missing list name parameter")]
    [InlineData("list", "\"list\":\"\"", "Missing list name parameter")]
    [InlineData("list", "\"list\":null", "Missing list name parameter")]
    public async Task Subscribe_FalsyParameter_Answers400Missing_Issue10_14(string stream, string parameter, string message)
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SubscribeAsync(stream, parameter);

        Assert.Equal($$"""{"error":"{{message}}","status":400}""", await socket.ReceiveTextAsync());
        AssertNoErrorLines();
    }

    [Theory]
    [InlineData("hashtag", "\"tag\":1", """{"error":"An unexpected error occurred","status":500}""")]
    [InlineData("hashtag", "\"tag\":true", """{"error":"An unexpected error occurred","status":500}""")]
    [InlineData("list", "\"list\":true", """{"error":"Not authorized to stream this list","status":401}""")]
    public async Task Subscribe_TruthyNonStringParameter_AnswersAsUpstream_Issue10_14(string stream, string parameter, string frame)
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming", user.Token);

        await socket.SubscribeAsync(stream, parameter);

        Assert.Equal(frame, await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task StreamQuery_RepeatedTag_IsAnArrayAnswered500LikeUpstream_Issue10_14()
    {
        var user = await fixture.Database.CreateUserAsync();

        // url.parse(req.url, true) makes a repeated parameter an array; normalising an array throws: a 500 frame.
        await using var socket = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=hashtag&tag=a&tag=b", user.Token);

        Assert.Equal("""{"error":"An unexpected error occurred","status":500}""", await socket.ReceiveTextAsync());
    }

    // ---- item 15: Express' non-strict, case-insensitive routing of the fixed routes ----

    [Theory]
    [InlineData("/api/v1/streaming/health/")]
    [InlineData("/API/V1/Streaming/Health")]
    [InlineData("/api/v1/streaming/health/?x=1")]
    public async Task Health_TrailingSlashOrOtherCase_ReturnsOk_Issue10_15(string path)
    {
        using var http = new HttpClient { BaseAddress = _server.HttpBase };

        using var response = await http.GetAsync(path).DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK", await response.Content.ReadAsStringAsync());
        Assert.Equal("private, no-store", response.Headers.NonValidated["Cache-Control"].ToString());
    }

    [Theory]
    [InlineData("/metrics/")]
    [InlineData("/METRICS")]
    public async Task Metrics_TrailingSlashOrOtherCase_ReturnsMetrics_Issue10_15(string path)
    {
        using var http = new HttpClient { BaseAddress = _server.HttpBase };

        using var response = await http.GetAsync(path).DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("connected_clients", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Favicon_TrailingSlash_Returns404Empty_Issue10_15()
    {
        using var http = new HttpClient { BaseAddress = _server.HttpBase };

        using var response = await http.GetAsync("/favicon.ico/").DefaultTimeout();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, response.Content.Headers.ContentLength);
        Assert.Null(response.Content.Headers.ContentType);
    }

    [Theory]
    [InlineData("/api/v1/streaming/health//")]
    [InlineData("/api/v1/streaming/health/x")]
    [InlineData("/api/v1/streaming/user/")]
    [InlineData("/api/v1/streaming/user/notification/")]
    [InlineData("/api/v1/streaming/public/")]
    [InlineData("/api/v1/streaming/public/local/")]
    [InlineData("/api/v1/streaming/public/remote/")]
    [InlineData("/api/v1/streaming/hashtag/")]
    [InlineData("/api/v1/streaming/hashtag/local/")]
    [InlineData("/api/v1/streaming/direct/")]
    [InlineData("/api/v1/streaming/list/")]
    [InlineData("/api/v1/streaming/PUBLIC")]
    public async Task ChannelPath_TrailingSlashOrOtherCase_IsUnknownChannel_Issue10_15(string path)
    {
        var user = await fixture.Database.CreateUserAsync();
        using var http = new HttpClient { BaseAddress = _server.HttpBase };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + user.Token);

        using var response = await http.SendAsync(request).DefaultTimeout();

        // The channel comes from an exact switch on req.path upstream, so only the fixed routes are lenient.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"error":"Unknown channel requested"}""", await response.Content.ReadAsStringAsync());
    }

    private static void AssertHandshakeRejection(RawHttpResponse response, string statusLine, string reason)
    {
        Assert.Equal(statusLine, response.StatusLine);
        Assert.Equal("close", response.Header("Connection"));
        Assert.Equal("text/html", response.Header("Content-Type"));
        Assert.Equal(Encoding.UTF8.GetByteCount(reason).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.Equal(reason, response.Body);
        Assert.Null(response.Header("Upgrade"));
        Assert.Null(response.Header("Sec-WebSocket-Accept"));
    }

    private void AssertNoErrorLines()
    {
        var errors = _server.Output.Split('\n').Where(l => ErrorLine().IsMatch(l)).ToList();
        Assert.True(errors.Count == 0, "server logged errors:\n" + string.Join('\n', errors));
    }

    [GeneratedRegex(@"\[(ERR|CRI|CRT|FTL)\]|unhandled exception", RegexOptions.IgnoreCase)]
    private static partial Regex ErrorLine();
}
