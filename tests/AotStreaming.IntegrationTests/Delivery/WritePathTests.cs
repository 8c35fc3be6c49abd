using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AotStreaming.Endpoints;
using AotStreaming.Filtering;
using AotStreaming.Testing;
using AotStreaming.Testing.WebSockets;
using Xunit;

namespace AotStreaming.Delivery;

/// <summary>The default write path: frames go straight to the socket after the 101 (<c>Delivery:RawSocketWrites</c>); pings every 3 s.</summary>
public sealed class RawSocketWritesFixture : ServerFixture
{
    public const string PathLog = "writes to the raw socket";

    protected override IEnumerable<string> Arguments =>
        ["--Streaming:Delivery:RawSocketWrites=true", "--Streaming:Delivery:WebSocketPingSeconds=3"];
}

/// <summary>The fallback write path, through Kestrel's output pipe; pings every 3 s.</summary>
public sealed class PipeWritesFixture : ServerFixture
{
    public const string PathLog = "writes through Kestrel's output pipe: RawSocketWrites is off";

    protected override IEnumerable<string> Arguments =>
        ["--Streaming:Delivery:RawSocketWrites=false", "--Streaming:Delivery:WebSocketPingSeconds=3"];
}

public sealed class RawSocketWritePathTests(RawSocketWritesFixture fixture)
    : WritePathTests(fixture, RawSocketWritesFixture.PathLog), IClassFixture<RawSocketWritesFixture>;

public sealed class PipeWritePathTests(PipeWritesFixture fixture)
    : WritePathTests(fixture, PipeWritesFixture.PathLog), IClassFixture<PipeWritesFixture>;

/// <summary>
/// Both write paths, seen byte by byte by a hand-written client: events arrive whole and in order while the server's
/// pings, the pongs to the client's pings and the close handshake travel the same socket, and a client that goes
/// away in the middle of a large write ends as a normal close. Write timeout and slow-client drops on the default
/// (raw) path are covered by <see cref="WriteTimeoutTests"/> and <see cref="SlowConsumerTests"/>.
/// </summary>
public abstract class WritePathTests(ServerFixture fixture, string pathLog)
{
    private const int Statuses = 300;

    [Fact]
    public async Task EventsPingsPongsAndClose_ShareTheSocket_EveryFrameWholeAndInOrder()
    {
        var server = fixture.Server;
        var author = await fixture.Database.CreateUserAsync();
        var viewer = await fixture.Database.CreateUserAsync();
        var tag = FilterScenario.UniqueTag();
        var channel = "timeline:hashtag:" + tag;
        using var client = await RawWebSocket.ConnectAsync(server, $"/api/v1/streaming?access_token={viewer.Token}&stream=hashtag&tag={tag}");
        await server.WaitForRedisSubscriptionAsync(channel);
        await server.WaitForOutputAsync(pathLog).DefaultTimeout();

        // Published while the client reads, answers the server's pings and sends its own: frames of all three kinds
        // are written to the socket concurrently by the dispatcher, the pinger and the runtime WebSocket.
        var publishing = Task.Run(async () =>
        {
            for (var n = 0; n < Statuses; n++)
            {
                await server.PublishAsync(channel, FilterScenario.Status($"s{n}", author.AccountId, author.Username, content: new string('p', n * 37 % 3000)));
                if (n % 50 == 49)
                {
                    // Spread over more than a ping interval, so server pings land between events.
                    await Task.Delay(250);
                }
            }
        });

        var ids = new List<string>();
        var pongs = new List<string>();
        var pingsSent = 0;
        var serverPings = 0;
        while (ids.Count < Statuses)
        {
            var (opcode, payload) = await client.ReadFrameAsync() ?? throw new EndOfStreamException($"ended after {ids.Count} events");
            switch (opcode)
            {
                case WebSocketOpcode.Text:
                    using (var json = JsonDocument.Parse(payload))
                    {
                        Assert.Equal("update", json.RootElement.GetProperty("event").GetString());
                        using var status = JsonDocument.Parse(json.RootElement.GetProperty("payload").GetString()!);
                        ids.Add(status.RootElement.GetProperty("id").GetString()!);
                    }

                    if (ids.Count % 30 == 0)
                    {
                        await client.SendFrameAsync(0x89, Encoding.ASCII.GetBytes("c" + pingsSent++));
                    }

                    break;
                case WebSocketOpcode.Ping:
                    serverPings++;
                    await client.SendPongAsync(payload);
                    break;
                case WebSocketOpcode.Pong:
                    pongs.Add(Encoding.ASCII.GetString(payload));
                    break;
                default:
                    Assert.Fail($"unexpected opcode {opcode} after {ids.Count} events");
                    break;
            }
        }

        await publishing;
        Assert.Equal(Enumerable.Range(0, Statuses).Select(n => $"s{n}"), ids);

        // A burst on a fast machine may end before the first ping tick: then the ping comes after it.
        while (serverPings == 0)
        {
            var (opcode, payload) = await client.ReadFrameAsync() ?? throw new EndOfStreamException("ended before a ping");
            if (opcode == WebSocketOpcode.Ping)
            {
                serverPings++;
                await client.SendPongAsync(payload);
            }
            else
            {
                Assert.Equal(WebSocketOpcode.Pong, opcode);
                pongs.Add(Encoding.ASCII.GetString(payload));
            }
        }

        // The close handshake: pongs still owed come first, then the server's close frame, then the end of the stream.
        await client.SendFrameAsync(0x88, [0x03, 0xE8]);
        var closeSeen = false;
        while (await client.ReadFrameAsync() is { } frame)
        {
            Assert.False(closeSeen, "a frame followed the close frame");
            if (frame.Opcode == WebSocketOpcode.Pong)
            {
                pongs.Add(Encoding.ASCII.GetString(frame.Payload));
            }
            else if (frame.Opcode == WebSocketOpcode.Close)
            {
                closeSeen = true;
                Assert.Equal(new byte[] { 0x03, 0xE8 }, frame.Payload);
            }
            else
            {
                Assert.Equal(WebSocketOpcode.Ping, frame.Opcode);
            }
        }

        Assert.True(closeSeen);
        Assert.Equal(Enumerable.Range(0, pingsSent).Select(n => "c" + n), pongs);
    }

    /// <summary>
    /// A client that stops reading until the server's sends find its socket full (a 4 KiB receive buffer: about
    /// 1.3 MB of frames cannot all fit in the kernel, so the rest waits in the outbox, which the metric shows), then
    /// reads again: every frame arrives whole and in order, nobody is dropped, and the outbox empties. On the raw
    /// path this is the send that takes nothing (would block), or only part of a frame, and leaves the rest to the
    /// connection's writer loop.
    /// </summary>
    [Fact]
    public async Task ClientPausesUntilSocketIsFull_ThenReads_EveryFrameWholeAndInOrder()
    {
        const int Count = 20;
        var server = fixture.Server;
        var author = await fixture.Database.CreateUserAsync();
        var viewer = await fixture.Database.CreateUserAsync();
        var tag = FilterScenario.UniqueTag();
        var channel = "timeline:hashtag:" + tag;
        var slowBefore = await DisconnectsAsync("slow");
        using var client = await RawWebSocket.ConnectAsync(server, $"/api/v1/streaming?access_token={viewer.Token}&stream=hashtag&tag={tag}", receiveBufferBytes: 4096);
        await server.WaitForRedisSubscriptionAsync(channel);
        await server.WaitForOutputAsync(pathLog).DefaultTimeout();

        for (var n = 0; n < Count; n++)
        {
            await server.PublishAsync(channel, FilterScenario.Status($"p{n}", author.AccountId, author.Username, content: new string((char)('a' + n), 64 * 1024)));
        }

        await Support.MetricsText.WaitForAsync(server, "aot_streaming_outbox_frames", frames => frames >= 1);

        var ids = new List<string>();
        while (ids.Count < Count)
        {
            var (opcode, payload) = await client.ReadFrameAsync() ?? throw new EndOfStreamException($"ended after {ids.Count} events");
            if (opcode == WebSocketOpcode.Ping)
            {
                await client.SendPongAsync(payload);
                continue;
            }

            Assert.Equal(WebSocketOpcode.Text, opcode);
            using var json = JsonDocument.Parse(payload);
            using var status = JsonDocument.Parse(json.RootElement.GetProperty("payload").GetString()!);
            var n = ids.Count;
            ids.Add(status.RootElement.GetProperty("id").GetString()!);
            Assert.Equal(new string((char)('a' + n), 64 * 1024), status.RootElement.GetProperty("content").GetString());
        }

        Assert.Equal(Enumerable.Range(0, Count).Select(n => $"p{n}"), ids);
        await Support.MetricsText.WaitForAsync(server, "aot_streaming_outbox_frames", frames => frames == 0);
        Assert.Equal(slowBefore, await DisconnectsAsync("slow"));
    }

    [Fact]
    public async Task ClientResetsDuringLargeWrites_EndsAsClientClosed_OthersKeepReceiving()
    {
        var server = fixture.Server;
        var author = await fixture.Database.CreateUserAsync();
        var leaving = await fixture.Database.CreateUserAsync();
        var staying = await fixture.Database.CreateUserAsync();
        var tag = FilterScenario.UniqueTag();
        var channel = "timeline:hashtag:" + tag;
        var before = await DisconnectsAsync("client");

        // A client that does not read, on a small receive buffer: the server's sends soon have to wait.
        using var client = await RawWebSocket.ConnectAsync(server, $"/api/v1/streaming?access_token={leaving.Token}&stream=hashtag&tag={tag}", receiveBufferBytes: 4096);
        await using var reader = await Support.FrameReceiver.ConnectWebSocketAsync(server, staying, "hashtag", $"\"tag\":\"{tag}\"");
        await Support.ChannelSync.SyncAsync(server, channel, [reader]);

        // About 600 KB: more than the server's send buffer (128 KiB) and the client's receive buffer take, published
        // well within the 3 s ping interval, so it is the reset that ends this client (not a missed pong).
        var content = new string('z', 60 * 1024);
        for (var n = 0; n < 10; n++)
        {
            await server.PublishAsync(channel, FilterScenario.Status($"big-{n}", author.AccountId, author.Username, content: content));
            Assert.Equal($"big-{n}", (await reader.NextAsync()).Id);
        }

        // A reset (linger 0) while the server is in the middle of a send to it: frames wait behind that send.
        await Support.MetricsText.WaitForAsync(server, "aot_streaming_outbox_frames", v => v >= 1);
        client.Reset();

        await Support.MetricsText.WaitForAsync(server, "aot_streaming_disconnects_total{reason=\"client\"}", v => v >= before + 1);
        await server.PublishAsync(channel, FilterScenario.Status("after", author.AccountId, author.Username));
        Assert.Equal("after", (await reader.NextAsync()).Id);
        var metrics = await server.MetricsAsync();
        Assert.Equal(0, Support.MetricsText.Value(metrics, "aot_streaming_disconnects_total{reason=\"write_timeout\"}"));
        Assert.DoesNotContain(server.Output.Split('\n'), line => line.Contains("[ERR]", StringComparison.Ordinal) || line.Contains("[CRI]", StringComparison.Ordinal));
    }

    private async Task<double> DisconnectsAsync(string reason) =>
        Support.MetricsText.TryValue(await fixture.Server.MetricsAsync(), $"aot_streaming_disconnects_total{{reason=\"{reason}\"}}", out var value) ? value : 0;
}
