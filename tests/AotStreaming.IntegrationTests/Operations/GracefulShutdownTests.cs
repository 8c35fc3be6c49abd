using System.Net.WebSockets;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Operations;

/// <summary>Reference §1 (process): SIGTERM tells every client (WebSocket 1001, SSE end of stream) and exits 0.</summary>
public sealed class GracefulShutdownTests : IAsyncLifetime
{
    // A server of its own per test (each test stops it): the class fixture's set-up, run per test instance.
    private readonly ServerFixture _fixture = new();

    private MastodonDatabase Database => _fixture.Database;

    private StreamingServer Server => _fixture.Server;

    public Task InitializeAsync() => _fixture.InitializeAsync();

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task Sigterm_WithClientsConnected_ClosesWs1001EndsSseExitsZero_Section1()
    {
        var user = await Database.CreateUserAsync();
        await using var ws = await TestWebSocket.ConnectAsync(Server, "/api/v1/streaming?stream=user", user.Token);
        await using var sse = await TestSseClient.ConnectAsync(Server, "/api/v1/streaming/user", user.Token);
        Assert.Equal(":)", await sse.ReadLineAsync());
        await Server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");

        var close = ws.ReceiveCloseAsync();
        var sseEnd = ReadToEndAsync(sse);
        var exitCode = await Server.StopAsync(TimeSpan.FromSeconds(15));

        Assert.True(exitCode == 0, $"exit code {exitCode}; server output:\n{Server.Output}");
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
