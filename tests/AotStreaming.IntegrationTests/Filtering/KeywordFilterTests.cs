using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Filtering;

/// <summary>Reference §6.3 steps 7–9 and §6.7: keyword filters against real custom_filters rows.</summary>
public sealed class KeywordFilterTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly StreamingServer _server = fixture.Server;
    private readonly MastodonDatabase _db = fixture.Database;

    [Fact]
    public async Task WholeWordAndSubstring_Concatenate_OnlySubstringFilterMatches_Section6_7()
    {
        var viewer = await _db.CreateUserAsync();
        var author = await _db.CreateUserAsync();
        await FilterScenario.AddKeywordFilterAsync(_db, viewer.AccountId, "whole", "cat", wholeWord: true);
        var substring = await FilterScenario.AddKeywordFilterAsync(_db, viewer.AccountId, "part", "cat", wholeWord: false, action: 1);
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "hashtag");
        await using var _ = receiver;

        await _server.PublishAsync(channel, FilterScenario.Status("s1", author.AccountId, author.Username, content: "<p>Please conCATenate</p>"));

        var frame = await receiver.NextAsync();
        Assert.Equal($"[{FilterScenario.Result(substring, "part", "CAT", action: "hide")}]", frame.FilteredJson);
        Assert.Equal("filtered", frame.LastMemberName);
    }

    [Fact]
    public async Task WholeWord_CaseInsensitiveWord_MatchesAsWrittenInText_Section6_7()
    {
        var viewer = await _db.CreateUserAsync();
        var author = await _db.CreateUserAsync();
        var whole = await FilterScenario.AddKeywordFilterAsync(_db, viewer.AccountId, "cats", "cat", wholeWord: true, action: 2, context: ["home", "public"]);
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "public");
        await using var _ = receiver;

        await _server.PublishAsync(channel, FilterScenario.Status("s2", author.AccountId, author.Username, content: "<p>A <b>Cat</b> sat</p>"));

        var frame = await receiver.NextAsync();
        Assert.Equal($"[{FilterScenario.Result(whole, "cats", "Cat", action: "blur", context: "\"home\",\"public\"")}]", frame.FilteredJson);
        Assert.Equal("filtered", frame.LastMemberName);
    }

    [Fact]
    public async Task HtmlEntity_AmpInContent_MatchesDecodedText_Section6_7()
    {
        var viewer = await _db.CreateUserAsync();
        var author = await _db.CreateUserAsync();
        var filter = await FilterScenario.AddKeywordFilterAsync(_db, viewer.AccountId, "cartoon", "tom & jerry", wholeWord: true);
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "public");
        await using var _ = receiver;

        await _server.PublishAsync(channel, FilterScenario.Status("s3", author.AccountId, author.Username, content: "<p>I like Tom &amp; Jerry</p>"));

        var frame = await receiver.NextAsync();
        Assert.Equal($"[{FilterScenario.Result(filter, "cartoon", "Tom & Jerry")}]", frame.FilteredJson);
    }

    [Fact]
    public async Task PollOptionAndMediaDescription_ContainKeywords_BothFiltersMatchInIdOrder_Section6_7()
    {
        var viewer = await _db.CreateUserAsync();
        var author = await _db.CreateUserAsync();
        var poll = await FilterScenario.AddKeywordFilterAsync(_db, viewer.AccountId, "polls", "pineapple", wholeWord: true);
        var media = await FilterScenario.AddKeywordFilterAsync(_db, viewer.AccountId, "media", "sunset", wholeWord: false, expiresAt: "2099-01-02 03:04:05.678");
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "public");
        await using var _ = receiver;

        await _server.PublishAsync(channel, FilterScenario.Status(
            "s4", author.AccountId, author.Username, content: "<p>vote</p>", pollOptions: ["Pineapple pizza", "plain"], mediaDescriptions: [null, "a Sunset over sea"]));

        var frame = await receiver.NextAsync();
        Assert.Equal(
            $"[{FilterScenario.Result(poll, "polls", "Pineapple")},{FilterScenario.Result(media, "media", "Sunset", expiresAt: "2099-01-02T03:04:05.678Z")}]",
            frame.FilteredJson);
    }

    [Fact]
    public async Task ExpiredFilter_MatchingText_FilteredEmpty_Section6_7()
    {
        var viewer = await _db.CreateUserAsync();
        var author = await _db.CreateUserAsync();
        await FilterScenario.AddKeywordFilterAsync(_db, viewer.AccountId, "old", "stale", wholeWord: true, expiresAt: "2000-01-01 00:00:00");
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "public");
        await using var _ = receiver;

        await _server.PublishAsync(channel, FilterScenario.Status("s5", author.AccountId, author.Username, content: "<p>stale news</p>"));

        var frame = await receiver.NextAsync();
        Assert.Equal("[]", frame.FilteredJson);
        Assert.Equal("filtered", frame.LastMemberName);
    }

    [Fact]
    public async Task NoMatch_StatusWithoutFiltered_FilteredEmptyAppendedLast_Section6_3()
    {
        var viewer = await _db.CreateUserAsync();
        var author = await _db.CreateUserAsync();
        await FilterScenario.AddKeywordFilterAsync(_db, viewer.AccountId, "nope", "zebra", wholeWord: true);
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "hashtag");
        await using var _ = receiver;
        var message = FilterScenario.Status("s6", author.AccountId, author.Username);

        await _server.PublishAsync(channel, message);

        var frame = await receiver.NextAsync();
        var published = ExtractPayload(message);
        Assert.Equal(published[..^1] + ",\"filtered\":[]}", frame.Payload);
    }

    [Fact]
    public async Task PayloadWithOwnFiltered_MatchingKeyword_ForwardedUnchanged_Section6_3()
    {
        var viewer = await _db.CreateUserAsync();
        var author = await _db.CreateUserAsync();
        await FilterScenario.AddKeywordFilterAsync(_db, viewer.AccountId, "hello", "hello", wholeWord: true);
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "public");
        await using var _ = receiver;
        var message = FilterScenario.Status("s7", author.AccountId, author.Username, extra: ",\"filtered\":[{\"x\":1}]");

        await _server.PublishAsync(channel, message);

        var frame = await receiver.NextAsync();
        Assert.Equal(ExtractPayload(message), frame.Payload);
    }

    [Fact]
    public async Task FiltersChanged_KeywordAddedMidConnection_NextStatusFiltered_Section5_7()
    {
        var viewer = await _db.CreateUserAsync();
        var author = await _db.CreateUserAsync();
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "public");
        await using var _ = receiver;
        await _server.PublishAsync(channel, FilterScenario.Status("c1", author.AccountId, author.Username, content: "<p>secret plan</p>"));
        Assert.Equal("[]", (await receiver.NextAsync()).FilteredJson);
        var filter = await FilterScenario.AddKeywordFilterAsync(_db, viewer.AccountId, "spoilers", "secret", wholeWord: true);
        await _server.PublishAsync(channel, FilterScenario.Status("c2", author.AccountId, author.Username, content: "<p>secret plan</p>"));
        var cached = await receiver.NextAsync();

        await _server.PublishAsync($"timeline:system:{viewer.AccountId}", RailsMessages.FiltersChanged());
        await _server.PublishAsync(channel, FilterScenario.Status("c3", author.AccountId, author.Username, content: "<p>secret plan</p>"));

        Assert.Equal(("c2", "[]"), (cached.Id, cached.FilteredJson));
        var frame = await receiver.NextAsync();
        Assert.Equal("c3", frame.Id);
        Assert.Equal($"[{FilterScenario.Result(filter, "spoilers", "secret")}]", frame.FilteredJson);
    }

    private static string ExtractPayload(string message)
    {
        using var document = System.Text.Json.JsonDocument.Parse(message);
        return document.RootElement.GetProperty("payload").GetRawText();
    }
}
