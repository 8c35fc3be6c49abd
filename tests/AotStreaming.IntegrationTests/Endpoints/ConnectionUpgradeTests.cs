using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AotStreaming.Testing;
using AotStreaming.Testing.WebSockets;
using Xunit;
using ClientHandshake = AotStreaming.Testing.WebSockets.WebSocketHandshake;

namespace AotStreaming.Endpoints;

/// <summary>
/// Which layer answers an upgrade (<see cref="ConnectionUpgrade"/>): a connection's first request, when it is a plain
/// handshake, below Kestrel's HTTP layer; an upgrade after a kept-alive request through Kestrel as before. Both
/// stream, and bytes that arrive with the head (a client that sends its first frame without waiting for the 101)
/// are not lost. The headers timeout now also covers a connection that sends nothing; this fixture keeps the
/// shipped 15 s, so one test waits for it.
/// </summary>
public sealed partial class ConnectionUpgradeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    internal const string BelowHttp = "upgraded below Kestrel;";
    private readonly StreamingServer _server = fixture.Server;

    [Fact]
    public async Task FirstRequestUpgrade_AnsweredBelowHttpLayer_HeadersAsKestrelsAndEventsStream()
    {
        var user = await fixture.Database.CreateUserAsync();
        using var socket = await RawWebSocket.ConnectAsync(_server, $"/api/v1/streaming?access_token={user.Token}&stream=user");
        var channel = $"timeline:{user.AccountId}";
        await _server.WaitForRedisSubscriptionAsync(channel);

        await _server.PublishAsync(channel, RailsMessages.Delete("below-1"));

        Assert.Equal("below-1", await NextPayloadAsync(socket));
        Assert.True(await ConnectionLogAsync(user.AccountId, BelowHttp), _server.Output);
        // RawWebSocket checked the status line and Sec-WebSocket-Accept; these Kestrel writes too.
        Assert.Matches("(?m)^X-Request-Id: [0-9a-f-]{36}\r$", socket.HandshakeResponse);
        Assert.Matches("(?m)^Date: .+ GMT\r$", socket.HandshakeResponse);
        Assert.Contains("Connection: Upgrade\r\n", socket.HandshakeResponse, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpgradeAfterKeptAliveRequest_AnsweredByKestrel_EventsStream()
    {
        var user = await fixture.Database.CreateUserAsync();
        using var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", _server.Port).DefaultTimeout();
        var received = new List<byte>();

        await SendAsync(tcp, "GET /api/v1/streaming/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var health = await ReadUntilAsync(tcp, received, "\r\n0\r\n\r\n"u8.ToArray());
        Assert.StartsWith("HTTP/1.1 200 OK", health, StringComparison.Ordinal);
        var key = ClientHandshake.CreateKey();
        await SendAsync(tcp, Encoding.ASCII.GetString(ClientHandshake.BuildRequest("127.0.0.1", $"/api/v1/streaming?access_token={user.Token}&stream=user", key)));
        var head = await ReadUntilAsync(tcp, received, "\r\n\r\n"u8.ToArray());

        Assert.Null(ClientHandshake.Validate(Encoding.ASCII.GetBytes(head), key));
        var channel = $"timeline:{user.AccountId}";
        await _server.WaitForRedisSubscriptionAsync(channel);
        await _server.PublishAsync(channel, RailsMessages.Delete("kestrel-1"));
        var frame = await ReadUntilAsync(tcp, received, "kestrel-1"u8.ToArray());
        Assert.Contains("\"event\":\"delete\"", frame, StringComparison.Ordinal);
        Assert.True(await ConnectionLogAsync(user.AccountId, "writes to the raw socket"), _server.Output);
        Assert.False(await ConnectionLogAsync(user.AccountId, BelowHttp, wait: false), _server.Output);
    }

    [Fact]
    public async Task FrameSentWithTheHead_NotLost_SubscribesBeforeThe101IsRead()
    {
        var user = await fixture.Database.CreateUserAsync();
        using var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", _server.Port).DefaultTimeout();
        var key = ClientHandshake.CreateKey();
        var request = ClientHandshake.BuildRequest("127.0.0.1", $"/api/v1/streaming?access_token={user.Token}", key);
        var subscribe = Encoding.UTF8.GetBytes("""{"type":"subscribe","stream":"user"}""");
        var frame = new byte[WebSocketFrameWriter.FrameLength(subscribe.Length)];
        var frameLength = WebSocketFrameWriter.WriteFrame(frame, 0x81, subscribe);

        // One send: the head and the first frame reach the server's first read together.
        await tcp.SendAsync((byte[])[.. request, .. frame.AsSpan(0, frameLength)]).DefaultTimeout();

        var received = new List<byte>();
        var head = await ReadUntilAsync(tcp, received, "\r\n\r\n"u8.ToArray());
        Assert.Null(ClientHandshake.Validate(Encoding.ASCII.GetBytes(head), key));
        var channel = $"timeline:{user.AccountId}";
        await _server.WaitForRedisSubscriptionAsync(channel);
        await _server.PublishAsync(channel, RailsMessages.Delete("early-1"));
        Assert.Contains("early-1", await ReadUntilAsync(tcp, received, "early-1"u8.ToArray()), StringComparison.Ordinal);
        Assert.True(await ConnectionLogAsync(user.AccountId, BelowHttp), _server.Output);
    }

    [Fact]
    public async Task SilentConnection_ClosedAtTheShippedHeadersTimeout_15s()
    {
        using var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await tcp.ConnectAsync("127.0.0.1", _server.Port).DefaultTimeout();
        var clock = Stopwatch.StartNew();

        var read = await tcp.ReceiveAsync(new byte[16]).WaitAsync(TimeSpan.FromSeconds(60));

        // Closed without an answer (Kestrel's way for a connection that never sent a request), at 15 s, not before.
        Assert.Equal(0, read);
        Assert.InRange(clock.Elapsed.TotalSeconds, 14.5, 30);
    }

    private static Task SendAsync(Socket socket, string text) => socket.SendAsync(Encoding.ASCII.GetBytes(text)).DefaultTimeout();

    /// <summary>Reads until <paramref name="marker"/> has arrived; returns (and removes) everything up to and including it.</summary>
    private static async Task<string> ReadUntilAsync(Socket socket, List<byte> received, byte[] marker)
    {
        var buffer = new byte[4096];
        int end;
        while ((end = received.ToArray().AsSpan().IndexOf(marker)) < 0)
        {
            var read = await socket.ReceiveAsync(buffer).DefaultTimeout();
            Assert.True(read > 0, "closed before the marker: " + Encoding.Latin1.GetString(received.ToArray()));
            received.AddRange(buffer.AsSpan(0, read));
        }

        var text = Encoding.Latin1.GetString(received.ToArray(), 0, end + marker.Length);
        received.RemoveRange(0, end + marker.Length);
        return text;
    }

    internal static async Task<string> NextPayloadAsync(RawWebSocket socket)
    {
        while (await socket.ReadFrameAsync() is { } frame)
        {
            if (frame.Opcode == WebSocketOpcode.Text)
            {
                using var json = JsonDocument.Parse(frame.Payload);
                return json.RootElement.GetProperty("payload").GetString()!;
            }
        }

        throw new EndOfStreamException("closed before an event");
    }

    /// <summary>Whether the server logged <paramref name="text"/> for the WebSocket opened for this account.</summary>
    private Task<bool> ConnectionLogAsync(long accountId, string text, bool wait = true) => ConnectionLogAsync(_server, accountId, text, wait);

    /// <summary>Whether <paramref name="server"/> logged <paramref name="text"/> for the WebSocket opened for this account.</summary>
    internal static async Task<bool> ConnectionLogAsync(StreamingServer server, long accountId, string text, bool wait = true)
    {
        var opened = $"(websocket) opened for account {accountId} ";
        await server.WaitForOutputAsync(opened).DefaultTimeout();
        var id = ConnectionId().Match(server.Output.Split('\n').First(l => l.Contains(opened, StringComparison.Ordinal))).Groups[1].Value;
        var line = $"WebSocket {id} ";
        if (wait)
        {
            await server.WaitForOutputAsync(line).DefaultTimeout();
        }

        return server.Output.Split('\n').Any(l => l.Contains(line, StringComparison.Ordinal) && l.Contains(text, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"Connection (\d+) \(websocket\)")]
    private static partial Regex ConnectionId();
}

/// <summary>The switch off: every upgrade goes through Kestrel's HTTP layer, as before the below-Kestrel path existed.</summary>
public sealed class KestrelUpgradesFixture : ServerFixture
{
    protected override IEnumerable<string> Arguments => ["--Streaming:Delivery:UpgradeBelowHttpLayer=false"];
}

public sealed class KestrelUpgradeTests(KestrelUpgradesFixture fixture) : IClassFixture<KestrelUpgradesFixture>
{
    [Fact]
    public async Task UpgradeBelowHttpLayerOff_FirstRequestUpgradeAnsweredByKestrel_EventsStream()
    {
        var server = fixture.Server;
        var user = await fixture.Database.CreateUserAsync();
        using var socket = await RawWebSocket.ConnectAsync(server, $"/api/v1/streaming?access_token={user.Token}&stream=user");
        var channel = $"timeline:{user.AccountId}";
        await server.WaitForRedisSubscriptionAsync(channel);

        await server.PublishAsync(channel, RailsMessages.Delete("kestrel-only-1"));

        Assert.Equal("kestrel-only-1", await ConnectionUpgradeTests.NextPayloadAsync(socket));
        Assert.True(await ConnectionUpgradeTests.ConnectionLogAsync(server, user.AccountId, "writes to the raw socket"), server.Output);
        Assert.False(await ConnectionUpgradeTests.ConnectionLogAsync(server, user.AccountId, ConnectionUpgradeTests.BelowHttp, wait: false), server.Output);
    }
}
