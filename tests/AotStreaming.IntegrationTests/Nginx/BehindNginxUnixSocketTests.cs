using System.Net;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Nginx;

/// <summary>The server on a Unix socket (<c>SOCKET</c>, reference §8) with nginx's upstream pointing at it.</summary>
public sealed class NginxUnixSocketFixture : IAsyncLifetime
{
    public string SocketPath { get; } = Path.Combine(Path.GetTempPath(), $"aot-streaming-{Guid.NewGuid():N}.sock");

    public StreamingServer Server { get; private set; } = null!;

    public MastodonDatabase Database { get; private set; } = null!;

    public NginxProxy Nginx { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Database = await MastodonDatabase.CreateAsync();
        Server = await StreamingServer.StartAsync(Database, environment: new Dictionary<string, string> { ["SOCKET"] = SocketPath });
        Nginx = await NginxProxy.StartAsync([$"unix:{SocketPath}"]);
    }

    public async Task DisposeAsync()
    {
        await Nginx.DisposeAsync();
        await Server.DisposeAsync();
        await Database.DisposeAsync();
        File.Delete(SocketPath);
    }
}

public sealed class BehindNginxUnixSocketTests(NginxUnixSocketFixture fixture) : IClassFixture<NginxUnixSocketFixture>
{
    private readonly StreamingServer _server = fixture.Server;
    private readonly NginxProxy _nginx = fixture.Nginx;

    [Fact]
    public async Task Health_NginxToUnixSocket_Ok()
    {
        using var http = new HttpClient { BaseAddress = _nginx.HttpBase };

        using var response = await http.GetAsync("/api/v1/streaming/health").DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK", await response.Content.ReadAsStringAsync());
        Assert.Contains($"Streaming API now listening on {fixture.SocketPath}", _server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebSocketAndSse_NginxToUnixSocket_ReceiveEvent()
    {
        var wsUser = await fixture.Database.CreateUserAsync();
        var sseUser = await fixture.Database.CreateUserAsync();
        await using var socket = await TestWebSocket.ConnectAsync(_nginx.WebSocketBase, "/api/v1/streaming?stream=user", bearer: wsUser.Token);
        await using var sse = await TestSseClient.ConnectAsync(_nginx.HttpBase, "/api/v1/streaming/user", sseUser.Token);
        Assert.Equal(":)", await sse.ReadLineAsync());
        await _server.WaitForRedisSubscriptionAsync($"timeline:{wsUser.AccountId}");
        await _server.WaitForRedisSubscriptionAsync($"timeline:{sseUser.AccountId}");

        await _server.PublishAsync($"timeline:{wsUser.AccountId}", RailsMessages.Delete("301"));
        await _server.PublishAsync($"timeline:{sseUser.AccountId}", RailsMessages.Delete("302"));

        Assert.Equal("""{"stream":["user"],"event":"delete","payload":"301"}""", await socket.ReceiveTextAsync());
        Assert.Equal(("delete", "302"), await sse.ReadEventAsync());
    }
}
