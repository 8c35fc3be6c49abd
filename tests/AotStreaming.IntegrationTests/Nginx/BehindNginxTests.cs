using System.Diagnostics;
using System.Net;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Nginx;

/// <summary>One server at its defaults (15 s heartbeat) behind nginx running the checked-in config on a TCP upstream.</summary>
public class NginxTcpFixture : IAsyncLifetime
{
    public StreamingServer Server { get; private set; } = null!;

    public MastodonDatabase Database { get; private set; } = null!;

    public NginxProxy Nginx { get; private set; } = null!;

    protected virtual IReadOnlyDictionary<string, string>? Environment => null;

    protected virtual IEnumerable<string> Arguments => [];

    public async Task InitializeAsync()
    {
        Database = await MastodonDatabase.CreateAsync();
        Server = await StreamingServer.StartAsync(Database, Arguments, Environment);
        Nginx = await NginxProxy.StartAsync([$"127.0.0.1:{Server.Port}"]);
    }

    public async Task DisposeAsync()
    {
        await Nginx.DisposeAsync();
        await Server.DisposeAsync();
        await Database.DisposeAsync();
    }
}

/// <summary>
/// The server behind Mastodon's nginx streaming config (README "Status": the nginx row): the three token places,
/// SSE without buffering, heartbeats at the shipped 15 s, health, and an access log without tokens.
/// </summary>
public sealed class BehindNginxTests(NginxTcpFixture fixture) : IClassFixture<NginxTcpFixture>
{
    private readonly StreamingServer _server = fixture.Server;
    private readonly NginxProxy _nginx = fixture.Nginx;

    [Fact]
    public async Task WebSocket_TokenInAuthorizationHeader_StreamsThroughNginx()
    {
        var user = await fixture.Database.CreateUserAsync();

        await using var socket = await TestWebSocket.ConnectAsync(_nginx.WebSocketBase, "/api/v1/streaming?stream=user", bearer: user.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("101"));

        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"101"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task WebSocket_TokenInQuery_StreamsThroughNginx()
    {
        var user = await fixture.Database.CreateUserAsync();

        await using var socket = await TestWebSocket.ConnectAsync(_nginx.WebSocketBase, "/api/v1/streaming", token: user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("102"));

        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"102"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task WebSocket_TokenAsSubprotocol_EchoedAndStreamsThroughNginx()
    {
        var user = await fixture.Database.CreateUserAsync();

        await using var socket = await TestWebSocket.ConnectAsync(_nginx.WebSocketBase, "/api/v1/streaming/", subprotocol: user.Token);
        await socket.SubscribeSyncedAsync(_server, "user", null, $"timeline:{user.AccountId}");
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete("103"));

        Assert.Equal(user.Token, socket.Socket.SubProtocol);
        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"103"}""", await socket.ReceiveTextAsync());
    }

    [Fact]
    public async Task WebSocket_BadToken_RejectedThroughNginxWith401()
    {
        var rejected = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(
            () => TestWebSocket.ConnectAsync(_nginx.WebSocketBase, "/api/v1/streaming?stream=user", token: "not-a-token"));

        Assert.Contains("401", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sse_EachEvent_ArrivesBeforeTheNextIsPublished()
    {
        var user = await fixture.Database.CreateUserAsync();
        // As a browser's EventSource asks: a proxy that compressed the stream would hold events in its compressor.
        var browserHeaders = new Dictionary<string, string> { ["Accept-Encoding"] = "gzip, deflate, br", ["Accept"] = "text/event-stream" };
        await using var sse = await TestSseClient.ConnectAsync(_nginx.HttpBase, "/api/v1/streaming/user", user.Token, headers: browserHeaders);
        Assert.Equal(":)", await sse.ReadLineAsync());
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");

        var arrived = new List<(string, string)>();
        for (var i = 0; i < 5; i++)
        {
            // A buffering proxy would hold this small event until its buffer filled or the stream ended; nothing
            // more is published until it has arrived.
            await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Delete($"20{i}"));
            arrived.Add(await sse.ReadEventAsync(TimeSpan.FromSeconds(5)));
        }

        Assert.Equal([("delete", "200"), ("delete", "201"), ("delete", "202"), ("delete", "203"), ("delete", "204")], arrived);
        Assert.Equal("text/event-stream", sse.Response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(sse.Response.Content.Headers.ContentEncoding);
    }

    /// <summary>The shipped 15 s heartbeat, through nginx's default 60 s proxy_read_timeout (one slow test).</summary>
    [Fact]
    public async Task Sse_Idle_ThumpEvery15SecondsAtDefault_ThroughNginx()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var sse = await TestSseClient.ConnectAsync(_nginx.HttpBase, "/api/v1/streaming/public", user.Token);
        Assert.Equal(":)", await sse.ReadLineAsync());

        // One global timer: the first :thump comes at its next tick (0–15 s), the second exactly one interval later.
        Assert.Equal(":thump", await sse.ReadLineAsync(TimeSpan.FromSeconds(20)));
        var interval = Stopwatch.StartNew();
        Assert.Equal("", await sse.ReadLineAsync());
        Assert.Equal(":thump", await sse.ReadLineAsync(TimeSpan.FromSeconds(20)));
        interval.Stop();

        // Wide enough for a loaded CI machine's scheduling, narrow enough to tell 15 s from 10 s or 30 s.
        Assert.InRange(interval.Elapsed.TotalSeconds, 13.5, 17.5);
    }

    [Fact]
    public async Task Health_ThroughNginx_Ok()
    {
        using var http = new HttpClient { BaseAddress = _nginx.HttpBase };

        using var response = await http.GetAsync("/api/v1/streaming/health").DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AccessLog_QueryToken_NotWritten()
    {
        var user = await fixture.Database.CreateUserAsync();
        var marker = "/api/v1/streaming/" + Guid.NewGuid().ToString("N");
        await using (var socket = await TestWebSocket.ConnectAsync(_nginx.WebSocketBase, marker + "?stream=user", token: user.Token))
        {
            await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");
        }

        using (var http = new HttpClient { BaseAddress = _nginx.HttpBase })
        {
            using var response = await http.GetAsync($"/api/v1/streaming/health?access_token={user.Token}&x={marker}").DefaultTimeout();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // nginx writes a WebSocket's line when the tunnel closes.
        var webSocketLine = await _nginx.WaitForAccessLogLineAsync(marker);
        var healthLine = await _nginx.WaitForAccessLogLineAsync("GET /api/v1/streaming/health ");

        Assert.Contains($"\"GET {marker} HTTP/1.1\" 101 ", webSocketLine, StringComparison.Ordinal);
        Assert.Contains("\"GET /api/v1/streaming/health HTTP/1.1\" 200 ", healthLine, StringComparison.Ordinal);
        Assert.DoesNotContain(user.Token, File.ReadAllText(_nginx.AccessLogPath), StringComparison.Ordinal);
        Assert.DoesNotContain("access_token", File.ReadAllText(_nginx.AccessLogPath), StringComparison.Ordinal);
    }
}
