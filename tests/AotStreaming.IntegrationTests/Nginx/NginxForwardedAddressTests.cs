using System.Net;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Nginx;

/// <summary>Two connections per client address; nginx on 127.0.0.1 is the only trusted proxy.</summary>
public sealed class NginxTwoPerAddressFixture : NginxTcpFixture
{
    protected override IEnumerable<string> Arguments => ["--Streaming:Limits:MaxConnectionsPerAddress=2"];

    // Only nginx's own address: 127.0.0.2 and 127.0.0.3 are loopback too, and a default TRUSTED_PROXY_IP (all of
    // 127.0.0.0/8) would walk past them to nginx itself.
    protected override IReadOnlyDictionary<string, string>? Environment => new Dictionary<string, string> { ["TRUSTED_PROXY_IP"] = "127.0.0.1" };
}

/// <summary>
/// The per-address limit counts the real client addresses nginx puts in X-Forwarded-For: two clients on distinct
/// source addresses (127.0.0.2, 127.0.0.3), not one count for nginx.
/// </summary>
public sealed class NginxForwardedAddressTests(NginxTwoPerAddressFixture fixture) : IClassFixture<NginxTwoPerAddressFixture>
{
    private static readonly IPAddress s_clientA = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress s_clientB = IPAddress.Parse("127.0.0.3");

    [Fact]
    public async Task PerAddressLimit_ThroughNginx_CountsEachForwardedClientAddress()
    {
        var user = await fixture.Database.CreateUserAsync();
        var open = new List<IAsyncDisposable>();

        async Task<HttpStatusCode> SseFromAsync(IPAddress source)
        {
            try
            {
                var sse = await TestSseClient.ConnectAsync(fixture.Nginx.HttpBase, "/api/v1/streaming/user", user.Token, SourceAddressHandler.Create(source));
                open.Add(sse);
                Assert.Equal(":)", await sse.ReadLineAsync());
                return HttpStatusCode.OK;
            }
            catch (HttpRequestException refused) when (refused.StatusCode is { } status)
            {
                return status;
            }
        }

        try
        {
            var firstA = await SseFromAsync(s_clientA);
            var secondA = await SseFromAsync(s_clientA);
            var thirdA = await SseFromAsync(s_clientA);
            var webSocketA = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => TestWebSocket.ConnectAsync(
                fixture.Nginx.WebSocketBase, "/api/v1/streaming?stream=user", bearer: user.Token, invoker: new HttpMessageInvoker(SourceAddressHandler.Create(s_clientA))));
            var firstB = await SseFromAsync(s_clientB);
            var webSocketB = await TestWebSocket.ConnectAsync(
                fixture.Nginx.WebSocketBase, "/api/v1/streaming?stream=user", bearer: user.Token, invoker: new HttpMessageInvoker(SourceAddressHandler.Create(s_clientB)));
            open.Add(webSocketB);

            Assert.Equal(HttpStatusCode.OK, firstA);
            Assert.Equal(HttpStatusCode.OK, secondA);
            Assert.Equal((HttpStatusCode)429, thirdA);
            Assert.Contains("429", webSocketA.Message, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, firstB);
            Assert.Equal(System.Net.WebSockets.WebSocketState.Open, webSocketB.Socket.State);
        }
        finally
        {
            foreach (var client in open)
            {
                await client.DisposeAsync();
            }
        }

        // nginx saw the two source addresses, so the test really had two clients.
        var log = await fixture.Nginx.WaitForAccessLogLineAsync("127.0.0.3 - ");
        Assert.StartsWith("127.0.0.3 - ", log, StringComparison.Ordinal);
        Assert.Contains(fixture.Nginx.AccessLogLines(), l => l.StartsWith("127.0.0.2 - ", StringComparison.Ordinal) && l.Contains("\" 429 ", StringComparison.Ordinal));
    }
}
