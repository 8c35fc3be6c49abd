using System.Net.WebSockets;
using AotStreaming.Filtering;
using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Delivery;

/// <summary>
/// Memory stays bounded while a client that never reads is attached (README slow-consumer policy): the server
/// never queues more than the outbox cap for it, whatever volume is published.
/// </summary>
public sealed class MemoryBoundTests(MemoryBoundTests.Fixture fixture) : IClassFixture<MemoryBoundTests.Fixture>
{
    private const long OutboxMaxBytes = 1024 * 1024;
    private const int Messages = 3200;
    private static readonly string s_bigContent = new('x', 32 * 1024);

    private readonly StreamingServer _server = fixture.Server;
    private readonly MastodonDatabase _db = fixture.Database;

    [Fact]
    public async Task StalledClient_100MegabytesPublished_RssGrowthAndOutboxBytesBounded_Section15()
    {
        var tag = FilterScenario.UniqueTag();
        var channel = "timeline:hashtag:" + tag;
        var author = await _db.CreateUserAsync();
        var reader = await _db.CreateUserAsync();
        var stalledUser = await _db.CreateUserAsync();
        await using var healthy = await FrameReceiver.ConnectWebSocketAsync(_server, reader, "hashtag", $"\"tag\":\"{tag}\"");
        await ChannelSync.SyncAsync(_server, channel, healthy);
        var message = FilterScenario.Status("m", author.AccountId, author.Username, content: s_bigContent);
        // Warm-up (JIT, pools, the GC's gen0 budget) so the measurement sees the steady state.
        await PublishAsync(channel, message, healthy, 640, _ => { });
        using var stalled = await StalledClients.WebSocketAsync(_server, stalledUser, $"stream=hashtag&tag={tag}");
        var slowClosesBefore = SlowCloses(await _server.MetricsAsync());
        var rssBefore = ResidentBytes(_server.ProcessId);
        var maxOutbox = 0.0;

        await PublishAsync(channel, message, healthy, Messages, metrics => maxOutbox = Math.Max(maxOutbox, MetricsText.Value(metrics, "aot_streaming_outbox_bytes")));
        var growth = ResidentBytes(_server.ProcessId) - rssBefore;
        var heapAfter = MetricsText.Value(await _server.MetricsAsync(), "process_heap_bytes");

        // The bound holds because the stalled client was dropped as slow, not because it was somehow drained: it is
        // closed (DrainAsync returns instead of timing out) and counted once under reason="slow".
        _ = await StalledClients.DrainAsync(stalled);
        Assert.NotEqual(WebSocketState.Open, stalled.State);
        Assert.Equal(slowClosesBefore + 1, SlowCloses(await _server.MetricsAsync()));
        Assert.True(maxOutbox <= 2 * OutboxMaxBytes, $"outbox bytes reached {maxOutbox}");
        // A server that kept everything for the stalled client would grow by about the published volume (100 MB).
        // Half of it is the mark because garbage waiting for the next collection counts in RSS too, and the GC's
        // gen0 budget on a machine with a 32 MB L3 cache is tens of MB: a quarter of 50 MB failed about one run in eight.
        var published = (long)Messages * s_bigContent.Length;
        Assert.True(growth < published / 2, $"RSS grew {growth} bytes while {published} bytes were published (managed heap now {heapAfter} bytes)");
    }

    private static double SlowCloses(string metrics) => MetricsText.Value(metrics, "aot_streaming_disconnects_total{reason=\"slow\"}");

    private async Task PublishAsync(string channel, string message, FrameReceiver healthy, int count, Action<string> sample)
    {
        for (var chunk = 0; chunk < count / 20; chunk++)
        {
            for (var i = 0; i < 20; i++)
            {
                await _server.PublishAsync(channel, message);
            }

            for (var i = 0; i < 20; i++)
            {
                Assert.Equal("m", (await healthy.NextAsync()).Id);
            }

            sample(await _server.MetricsAsync());
        }
    }

    private static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    /// <summary>A 1 MiB byte cap: a reading client absorbs bursts of 20 large statuses, a stalled one is bounded.</summary>
    public sealed class Fixture : ServerFixture
    {
        protected override IEnumerable<string> Arguments => [$"--Streaming:Delivery:OutboxMaxBytes={OutboxMaxBytes}"];
    }
}
