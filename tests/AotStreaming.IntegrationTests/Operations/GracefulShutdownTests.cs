using System.Net.WebSockets;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Operations;

/// <summary>Reference §1 (process): SIGTERM tells every client (WebSocket 1001, SSE end of stream) and exits 0.</summary>
public sealed class GracefulShutdownTests : IAsyncLifetime
{
    private MastodonDatabase _database = null!;
    private StreamingServer _server = null!;

    public async Task InitializeAsync()
    {
        _database = await MastodonDatabase.CreateAsync();
        _server = await StreamingServer.StartAsync(_database);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Sigterm_WithClientsConnected_ClosesWs1001EndsSseExitsZero_Section1()
    {
        var user = await _database.CreateUserAsync();
        await using var ws = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token);
        await using var sse = await TestSseClient.ConnectAsync(_server, "/api/v1/streaming/user", user.Token);
        Assert.Equal(":)", await sse.ReadLineAsync());
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");

        var close = ws.ReceiveCloseAsync();
        var sseEnd = ReadToEndAsync(sse);
        var exitCode = await _server.StopAsync(TimeSpan.FromSeconds(15));

        Assert.True(exitCode == 0, $"exit code {exitCode}; server output:\n{_server.Output}");
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, (await close.DefaultTimeout()).Status);
        Assert.True(await sseEnd.DefaultTimeout());
    }

    /// <summary>True when the stream ended cleanly (null line), false on a reset.</summary>
    private static async Task<bool> ReadToEndAsync(TestSseClient sse)
    {
        try
        {
            while (await sse.ReadLineAsync() is not null)
            {
            }

            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
