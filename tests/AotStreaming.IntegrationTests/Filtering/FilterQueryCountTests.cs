using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Filtering;

/// <summary>Reference §6.3 step 5: the database work per status does not grow with the number of subscribers.</summary>
public sealed class FilterQueryCountTests(FilterQueryCountFixture fixture) : IClassFixture<FilterQueryCountFixture>
{
    private const string Series = "aot_streaming_filter_queries_total";

    private readonly StreamingServer _server = fixture.Server;
    private readonly MastodonDatabase _db = fixture.Database;

    [Fact]
    public async Task FilterQueries_OneVersus200Subscribers_SameCountPerStatus_Section6_3()
    {
        var author = await _db.CreateUserAsync();

        var single = await QueriesPerStatusAsync(1, author);
        var many = await QueriesPerStatusAsync(200, author);

        Assert.True(single >= 1, $"a filtered status must query the database (saw {single})");
        Assert.Equal(single, many);
    }

    private async Task<double> QueriesPerStatusAsync(int subscribers, TestUser author)
    {
        var tag = FilterScenario.UniqueTag();
        var channel = "timeline:hashtag:" + tag;
        var users = new List<TestUser>();
        for (var i = 0; i < subscribers; i++)
        {
            var user = await _db.CreateUserAsync();
            users.Add(user);
            await FilterScenario.AddKeywordFilterAsync(_db, user.AccountId, "f", "kw" + i, wholeWord: true);
        }

        var receivers = new List<FrameReceiver>();
        try
        {
            foreach (var batch in users.Chunk(50))
            {
                receivers.AddRange(await Task.WhenAll(batch.Select(u => FrameReceiver.ConnectWebSocketAsync(_server, u, "hashtag", $"\"tag\":\"{tag}\""))));
            }

            await ChannelSync.SyncAsync(_server, channel, [.. receivers]);
            await PublishAndReceiveAsync(channel, author, "warm-" + tag, receivers);
            var before = MetricsText.Value(await _server.MetricsAsync(), Series);

            await PublishAndReceiveAsync(channel, author, "count-" + tag, receivers);

            return MetricsText.Value(await _server.MetricsAsync(), Series) - before;
        }
        finally
        {
            foreach (var receiver in receivers)
            {
                await receiver.DisposeAsync();
            }
        }
    }

    private async Task PublishAndReceiveAsync(string channel, TestUser author, string id, List<FrameReceiver> receivers)
    {
        await _server.PublishAsync(channel, FilterScenario.Status(id, author.AccountId, author.Username, content: "<p>kw0 kw1</p>"));
        var frames = await Task.WhenAll(receivers.Select(r => r.NextAsync()));
        Assert.All(frames, f => Assert.Equal(id, f.Id));
    }
}
