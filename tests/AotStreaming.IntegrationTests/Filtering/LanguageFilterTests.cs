using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Filtering;

/// <summary>Reference §6.3 step 2 and §6.5: chosen_languages on public and hashtag, over WebSocket and SSE.</summary>
public sealed class LanguageFilterTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly StreamingServer _server = fixture.Server;
    private readonly MastodonDatabase _db = fixture.Database;

    [Theory]
    [InlineData("public")]
    [InlineData("hashtag")]
    public async Task ChosenLanguagesDe_MixedLanguages_OnlyDeDelivered_Section6_5(string stream)
    {
        var viewer = await _db.CreateUserAsync(chosenLanguages: ["de"]);
        var author = await _db.CreateUserAsync();
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, stream);
        await using var _ = receiver;

        foreach (var (id, language) in new[] { ("en1", "en"), ("null1", null), ("deat1", "de-AT"), ("empty1", ""), ("de1", "de") })
        {
            await _server.PublishAsync(channel, FilterScenario.Status(id, author.AccountId, author.Username, language: language));
        }

        var frame = await receiver.NextAsync();
        Assert.Equal("de1", frame.Id);
        Assert.Equal("[]", frame.FilteredJson);
    }

    [Fact]
    public async Task ChosenLanguagesDe_Sse_OnlyDeDelivered_Section6_5()
    {
        var viewer = await _db.CreateUserAsync(chosenLanguages: ["de"]);
        var author = await _db.CreateUserAsync();
        var tag = FilterScenario.UniqueTag();
        await using var receiver = await FrameReceiver.ConnectSseAsync(_server, viewer, "/api/v1/streaming/hashtag?tag=" + tag);
        await ChannelSync.SyncAsync(_server, "timeline:hashtag:" + tag, receiver);

        await _server.PublishAsync("timeline:hashtag:" + tag, FilterScenario.Status("en1", author.AccountId, author.Username, language: "en"));
        await _server.PublishAsync("timeline:hashtag:" + tag, FilterScenario.Status("null1", author.AccountId, author.Username, language: null));
        await _server.PublishAsync("timeline:hashtag:" + tag, FilterScenario.Status("de1", author.AccountId, author.Username, language: "de"));

        var frame = await receiver.NextAsync();
        Assert.Equal("update", frame.Event);
        Assert.Equal("de1", frame.Id);
    }

    [Fact]
    public async Task NullChosenLanguages_NullLanguageStatus_DeliveredWithEmptyFiltered_Section6_5()
    {
        var viewer = await _db.CreateUserAsync();
        var author = await _db.CreateUserAsync();
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "public");
        await using var _ = receiver;

        await _server.PublishAsync(channel, FilterScenario.Status("null2", author.AccountId, author.Username, language: null));

        var frame = await receiver.NextAsync();
        Assert.Equal("null2", frame.Id);
        Assert.Equal("[]", frame.FilteredJson);
    }

    [Fact]
    public async Task ChosenLanguagesDe_UserStream_EnglishDeliveredUnchanged_Section6_5()
    {
        var viewer = await _db.CreateUserAsync(chosenLanguages: ["de"]);
        var author = await _db.CreateUserAsync();
        await using var receiver = await FrameReceiver.ConnectWebSocketAsync(_server, viewer, "user");
        await ChannelSync.SyncAsync(_server, $"timeline:{viewer.AccountId}", receiver);

        await _server.PublishAsync($"timeline:{viewer.AccountId}", FilterScenario.Status("en2", author.AccountId, author.Username, language: "en"));

        var frame = await receiver.NextAsync();
        Assert.Equal("en2", frame.Id);
        Assert.Null(frame.FilteredJson);
    }
}
