using System.Text;
using System.Text.Json;
using AotStreaming.Filtering;
using AotStreaming.Support;
using AotStreaming.Testing;
using StackExchange.Redis;
using Xunit;

namespace AotStreaming.Ingress;

/// <summary>
/// Issue 10 item 3: invalid UTF-8 published by Rails (or anyone with Redis access) reaches clients with each
/// maximal ill-formed subpart replaced by U+FFFD, as upstream's Buffer→string decoding does, and never as invalid
/// bytes: a WebSocket client fails the connection on an invalid text frame (RFC 6455 §8.1), and an SSE body must
/// stay UTF-8 too. Both clients stay connected, shown by the next normal event arriving.
/// </summary>
public sealed class InvalidUtf8Tests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string R = "\uFFFD";
    private readonly StreamingServer _server = fixture.Server;

    [Theory]
    [InlineData("31 FF", "1" + R)]
    [InlineData("31 E2 82", "1" + R)]
    [InlineData("C0 AF E0 80 AF", R + R + R + R + R)]
    [InlineData("ED A0 80 ED BF BF", R + R + R + R + R + R)]
    [InlineData("F4 90 80 80 F0 9F 98", R + R + R + R + R)]
    public async Task PublicTimeline_InvalidUtf8InDelete_ArrivesReplacedOnBothTransports_ClientsStayConnected(string hex, string expected)
    {
        var user = await fixture.Database.CreateUserAsync();
        await using var socket = await FrameReceiver.ConnectWebSocketAsync(_server, user, "public");
        await using var sse = await RawSseReader.ConnectAsync(_server, "/api/v1/streaming/public", user.Token);
        await using var sseSync = await FrameReceiver.ConnectSseAsync(_server, user, "/api/v1/streaming/public");
        await ChannelSync.SyncAsync(_server, "timeline:public", socket, sseSync);
        await DrainProbesAsync(sse);
        var message = Concat("{\"event\":\"delete\",\"payload\":\""u8, Convert.FromHexString(hex.Replace(" ", "")), "\"}"u8);

        await PublishRawAsync("timeline:public", message);
        await _server.PublishAsync("timeline:public", RailsMessages.Delete("after"));

        Assert.Equal(("delete", expected), await sse.ReadEventAsync());
        Assert.Equal(("delete", "after"), await sse.ReadEventAsync());
        var frame = await socket.NextAsync();
        Assert.Equal(("delete", expected), (frame.Event, frame.Payload));
        Assert.Equal("after", (await socket.NextAsync()).Payload);
    }

    [Fact]
    public async Task PublicTimeline_InvalidUtf8InsideUpdateObject_ArrivesReplacedOnBothTransports_ClientsStayConnected()
    {
        var author = await fixture.Database.CreateUserAsync();
        var reader = await fixture.Database.CreateUserAsync();
        var blocked = await fixture.Database.CreateUserAsync();
        // A block makes the status go through the filter query, the path that reads the payload's facts.
        await fixture.Database.ExecuteAsync("INSERT INTO blocks (account_id, target_account_id) VALUES ($1, $2)", reader.AccountId, blocked.AccountId);
        await using var socket = await FrameReceiver.ConnectWebSocketAsync(_server, reader, "public");
        await using var sse = await RawSseReader.ConnectAsync(_server, "/api/v1/streaming/public", reader.Token);
        await using var sseSync = await FrameReceiver.ConnectSseAsync(_server, reader, "/api/v1/streaming/public");
        await ChannelSync.SyncAsync(_server, "timeline:public", socket, sseSync);
        await DrainProbesAsync(sse);
        var parts = FilterScenario.Status("u1", author.AccountId, author.Username, content: "<p>a|b|c</p>").Split('|');
        var message = Concat(Encoding.UTF8.GetBytes(parts[0]), [0xFF], Encoding.UTF8.GetBytes(parts[1]), [0xED, 0xA0, 0x80], Encoding.UTF8.GetBytes(parts[2]));

        await PublishRawAsync("timeline:public", message);
        await _server.PublishAsync("timeline:public", RailsMessages.Delete("after"));

        var frame = await socket.NextAsync();
        Assert.Equal("update", frame.Event);
        Assert.Equal($"<p>a{R}b{R}{R}{R}c</p>", Content(frame.Payload));
        Assert.Equal("after", (await socket.NextAsync()).Payload);
        var (name, data) = await sse.ReadEventAsync();
        Assert.Equal("update", name);
        Assert.Equal($"<p>a{R}b{R}{R}{R}c</p>", Content(data));
        Assert.Equal(("delete", "after"), await sse.ReadEventAsync());
    }

    private static string Content(string payloadJson)
    {
        using var document = JsonDocument.Parse(payloadJson);
        return document.RootElement.GetProperty("content").GetString()!;
    }

    /// <summary>The raw reader was connected before the probes were sent: skip them up to the final one.</summary>
    private static async Task DrainProbesAsync(RawSseReader sse)
    {
        while (true)
        {
            var (name, data) = await sse.ReadEventAsync();
            Assert.Equal("delete", name);
            Assert.StartsWith("sync-", data, StringComparison.Ordinal);
            if (data.EndsWith("-final", StringComparison.Ordinal))
            {
                return;
            }
        }
    }

    private Task<long> PublishRawAsync(string channel, byte[] message) =>
        TestEnvironment.Redis.GetSubscriber().PublishAsync(_server.Channel(channel), message);

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static byte[] Concat(ReadOnlySpan<byte> a, byte[] b, ReadOnlySpan<byte> c) => [.. a, .. b, .. c];
}
