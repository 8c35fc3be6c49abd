using System.Net.WebSockets;
using AotStreaming.Filtering;
using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Delivery;

/// <summary>
/// Memory stays bounded while a client that never reads is attached (README slow-consumer policy): the server
/// never queues more than the outbox cap for it, whatever volume is published.
/// The server runs under a GC heap hard limit well below the published volume: a server that kept what was
/// published for the stalled client cannot hold it and fails with OutOfMemory (the healthy client stops receiving),
/// while garbage from frames in flight must be collected instead of accumulating in RSS until a rare full GC, which
/// made a pure RSS bound flaky when the server got little CPU on a loaded machine.
/// </summary>
public sealed class MemoryBoundTests(MemoryBoundTests.Fixture fixture) : IClassFixture<MemoryBoundTests.Fixture>
{
    private const long OutboxMaxBytes = 1024 * 1024;
    private const int Messages = 3200;

    /// <summary>48 MiB: the idle server's heap is a fraction of it; the 100 MB published cannot fit.</summary>
    private const long HeapHardLimit = 48L * 1024 * 1024;
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
        // The server counts a disconnect when the connection's session ends, which can be just after the client saw
        // the close (a local .ci/run read 0 here once, native).
        await MetricsText.WaitForAsync(_server, SlowSeries, v => v >= slowClosesBefore + 1);
        Assert.Equal(slowClosesBefore + 1, SlowCloses(await _server.MetricsAsync()));
        Assert.True(maxOutbox <= 2 * OutboxMaxBytes, $"outbox bytes reached {maxOutbox}");
        // A server that kept everything for the stalled client would need about the published volume (100 MB) of
        // heap, which the hard limit forbids (it fails above). RSS also covers native memory (sockets, Redis buffers),
        // which the heap limit does not: half the published volume is the mark, above the 48 MB the heap may use.
        var published = (long)Messages * s_bigContent.Length;
        Assert.True(heapAfter <= HeapHardLimit, $"managed heap {heapAfter} bytes exceeds the {HeapHardLimit} hard limit: the limit is not in effect");
        Assert.True(growth < published / 2, $"RSS grew {growth} bytes while {published} bytes were published (managed heap now {heapAfter} bytes)");
    }

    private const string SlowSeries = "aot_streaming_disconnects_total{reason=\"slow\"}";

    private static double SlowCloses(string metrics) => MetricsText.Value(metrics, SlowSeries);

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
                Assert.Equal("m", (await NextOrExplainAsync(healthy, chunk * 20 + i)).Id);
            }

            sample(await _server.MetricsAsync());
        }
    }

    /// <summary>
    /// The next frame for the healthy client; if none comes, the likely cause is the heap limit (a server retaining
    /// the published volume), so the failure says so with the server's state and output instead of a bare timeout.
    /// </summary>
    private async Task<StreamFrame> NextOrExplainAsync(FrameReceiver healthy, int index)
    {
        try
        {
            return await healthy.NextAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or System.Threading.Channels.ChannelClosedException)
        {
            var output = _server.Output;
            Assert.Fail($"the healthy client stopped receiving at message {index} ({e.GetType().Name}; server exited: {_server.HasExited}; "
                + $"OutOfMemory in output: {output.Contains("OutOfMemory", StringComparison.Ordinal)}); the likely cause is a server that retains what is "
                + $"published for the stalled client and so cannot fit in the {HeapHardLimit / (1024 * 1024)} MiB heap limit.\nserver output tail:\n"
                + output[Math.Max(0, output.Length - 3000)..]);
            throw;
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

        /// <summary>Honoured by the JIT runtime and the native AOT runtime alike (hex, as the runtime parses it).</summary>
        protected override IReadOnlyDictionary<string, string> Environment =>
            new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = HeapHardLimit.ToString("X") };
    }
}
