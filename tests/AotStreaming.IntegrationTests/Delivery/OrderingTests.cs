using AotStreaming.Filtering;
using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Delivery;

/// <summary>
/// Per-connection order (a deliberate improvement on reference §6.3 "Ordering"): events reach each client in Redis
/// order even when some wait on the filter database and others do not, across channels of one connection.
/// </summary>
public sealed class OrderingTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly StreamingServer _server = fixture.Server;
    private readonly MastodonDatabase _db = fixture.Database;

    [Fact]
    public async Task MixedBurst_1000MessagesOnUserAndHashtag_EachClientSeesPublishedOrder_Section6_3()
    {
        var viewer = await _db.CreateUserAsync();
        var other = await _db.CreateUserAsync();
        var author = await _db.CreateUserAsync();
        var blocked = await _db.CreateUserAsync();
        await _db.ExecuteAsync("INSERT INTO blocks (account_id, target_account_id) VALUES ($1, $2)", viewer.AccountId, blocked.AccountId);
        var tag = FilterScenario.UniqueTag();
        var hashtag = "timeline:hashtag:" + tag;
        var home = $"timeline:{viewer.AccountId}";
        await using var ws = await FrameReceiver.ConnectWebSocketAsync(_server, viewer, "user");
        await ws.SendAsync($"{{\"type\":\"subscribe\",\"stream\":\"hashtag\",\"tag\":\"{tag}\"}}");
        await using var sse = await FrameReceiver.ConnectSseAsync(_server, other, "/api/v1/streaming/hashtag?tag=" + tag);
        await ChannelSync.SyncAsync(_server, home, ws);
        await ChannelSync.SyncAsync(_server, hashtag, ws, sse);
        var messages = new List<(string Channel, string Message, string Event, string Id, bool ToViewer, bool ToOther)>();
        for (var i = 0; i < 1000; i++)
        {
            messages.Add((i % 5) switch
            {
                0 => (hashtag, FilterScenario.Status($"u{i}", author.AccountId, author.Username), "update", $"u{i}", true, true),
                1 => (hashtag, RailsMessages.Delete($"u{i - 1}"), "delete", $"u{i - 1}", true, true),
                2 => (hashtag, FilterScenario.Status($"e{i}", author.AccountId, author.Username).Replace("\"event\":\"update\"", "\"event\":\"status.update\"", StringComparison.Ordinal), "status.update", $"e{i}", true, true),
                3 => (home, FilterScenario.Status($"h{i}", author.AccountId, author.Username), "update", $"h{i}", true, false),
                _ => (hashtag, FilterScenario.Status($"x{i}", blocked.AccountId, blocked.Username), "update", $"x{i}", false, true),
            });
        }

        // Back to back on one Redis connection: Redis keeps the order of one client's commands.
        await Task.WhenAll(messages.Select(m => _server.PublishAsync(m.Channel, m.Message)));

        var viewerSaw = new List<(string, string)>();
        foreach (var _ in messages.Where(m => m.ToViewer))
        {
            var frame = await ws.NextAsync();
            viewerSaw.Add((frame.Event, frame.Id));
        }

        var otherSaw = new List<(string, string)>();
        foreach (var _ in messages.Where(m => m.ToOther))
        {
            var frame = await sse.NextAsync();
            otherSaw.Add((frame.Event, frame.Id));
        }

        Assert.Equal(messages.Where(m => m.ToViewer).Select(m => (m.Event, m.Id)), viewerSaw);
        Assert.Equal(messages.Where(m => m.ToOther).Select(m => (m.Event, m.Id)), otherSaw);
    }
}
