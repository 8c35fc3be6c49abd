using System.Net.WebSockets;
using System.Text.RegularExpressions;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Reliability;

public sealed class ConnectionFloodFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments => ["--Streaming:Limits:MaxConnectionsPerAddress=20"];
}

/// <summary>Reference §3.1: a connection flood from one address is refused with 429 and counted; existing clients are untouched.</summary>
public sealed class ConnectionFloodTests(ConnectionFloodFixture fixture) : IClassFixture<ConnectionFloodFixture>
{
    private readonly StreamingServer _server = fixture.Server;

    [Fact]
    public async Task Flood_BeyondPerAddressLimit_RefusedWith429AndCounted_ExistingClientKeepsReceiving_Section3_1()
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var existing = await TestWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user", user.Token);
        await _server.WaitForRedisSubscriptionAsync($"timeline:{user.AccountId}");
        var before = RejectedConnections(await _server.MetricsAsync());

        var attempts = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => TryConnectAsync(user.Token)));
        using var http = new HttpClient { BaseAddress = _server.HttpBase };
        using var sseRequest = new HttpRequestMessage(HttpMethod.Get, "/api/v1/streaming/user");
        sseRequest.Headers.TryAddWithoutValidation("Authorization", "Bearer " + user.Token);
        using var sseRefused = await http.SendAsync(sseRequest).DefaultTimeout();
        var sseBody = await sseRefused.Content.ReadAsStringAsync();
        var after = RejectedConnections(await _server.MetricsAsync());
        await _server.PublishAsync($"timeline:{user.AccountId}", RailsMessages.Status("701", user.AccountId, user.Username));

        try
        {
            Assert.Equal(19, attempts.Count(a => a.Socket is not null));
            Assert.Equal(11, attempts.Count(a => a.Status == 429));
            Assert.All(attempts.Where(a => a.Status == 429), a => Assert.Equal("Too many connections from this address", a.Message));
            Assert.Equal(429, (int)sseRefused.StatusCode);
            Assert.Equal("""{"error":"Too many connections from this address"}""", sseBody);
            Assert.Equal(before + 12, after);
            Assert.Contains("\"id\":\"701\"", (await existing.ReceiveJsonAsync()).GetProperty("payload").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var attempt in attempts)
            {
                attempt.Socket?.Dispose();
            }
        }
    }

    private async Task<(ClientWebSocket? Socket, int Status, string? Message)> TryConnectAsync(string token)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(new Uri(_server.WebSocketBase, $"/api/v1/streaming?access_token={token}"), CancellationToken.None).DefaultTimeout();
            return (socket, 101, null);
        }
        catch (WebSocketException)
        {
            var status = (int)socket.HttpStatusCode;
            var message = socket.HttpResponseHeaders?.TryGetValue("X-Error-Message", out var values) == true ? values.Single() : null;
            socket.Dispose();
            return (null, status, message);
        }
    }

    private static long RejectedConnections(string metrics) =>
        long.Parse(Regex.Match(metrics, @"\naot_streaming_rejected_connections_total (\d+)").Groups[1].Value);
}
