using AotStreaming.Support;
using AotStreaming.Testing;

namespace AotStreaming.Filtering;

/// <summary>Builders shared by the filtering tests: statuses as Rails renders them, filter rows, subscriptions.</summary>
internal static class FilterScenario
{
    private static int s_tag;

    /// <summary>A status message with optional poll options and media descriptions (JSON-ready strings).</summary>
    public static string Status(
        string id, long accountId, string username, string? acct = null, string content = "<p>hello</p>", string? language = "en",
        long[]? mentions = null, string[]? pollOptions = null, string?[]? mediaDescriptions = null, string extra = "")
    {
        var mentionJson = string.Join(',', (mentions ?? []).Select(m => $$"""{"id":"{{m}}","username":"m{{m}}","acct":"m{{m}}"}"""));
        var poll = pollOptions is null
            ? "null"
            : $$"""{"id":"1","options":[{{string.Join(',', pollOptions.Select(o => $$"""{"title":"{{o}}","votes_count":0}"""))}}]}""";
        var media = string.Join(',', (mediaDescriptions ?? []).Select(d => $$"""{"id":"9","type":"image","description":{{(d is null ? "null" : $"\"{d}\"")}}}"""));
        var lang = language is null ? "null" : $"\"{language}\"";
        return $$$"""{"event":"update","payload":{"id":"{{{id}}}","created_at":"2026-11-28T10:00:00.000Z","content":"{{{content}}}","spoiler_text":"","account":{"id":"{{{accountId}}}","username":"{{{username}}}","acct":"{{{acct ?? username}}}"},"mentions":[{{{mentionJson}}}],"language":{{{lang}}},"media_attachments":[{{{media}}}],"poll":{{{poll}}}{{{extra}}}}}""";
    }

    public static string UniqueTag() => "filt" + Interlocked.Increment(ref s_tag) + Guid.NewGuid().ToString("N")[..6];

    /// <summary>Subscribes a WebSocket of <paramref name="user"/> to public or hashtag and waits until the server routes to it.</summary>
    public static async Task<(FrameReceiver Receiver, string Channel)> SubscribeAsync(StreamingServer server, TestUser user, string stream)
    {
        FrameReceiver receiver;
        string channel;
        if (stream == "hashtag")
        {
            var tag = UniqueTag();
            receiver = await FrameReceiver.ConnectWebSocketAsync(server, user, "hashtag", $"\"tag\":\"{tag}\"");
            channel = "timeline:hashtag:" + tag;
        }
        else
        {
            receiver = await FrameReceiver.ConnectWebSocketAsync(server, user, stream);
            channel = "timeline:" + stream;
        }

        await ChannelSync.SyncAsync(server, channel, receiver);
        return (receiver, channel);
    }

    public static async Task<long> AddKeywordFilterAsync(
        MastodonDatabase database, long accountId, string title, string keyword, bool wholeWord, int action = 0, string? expiresAt = null, string[]? context = null)
    {
        var id = (long)(await database.ScalarAsync(
            "INSERT INTO custom_filters (account_id, phrase, context, action, expires_at) VALUES ($1, $2, $3, $4, $5::timestamp) RETURNING id",
            accountId, title, context ?? ["public"], action, expiresAt))!;
        await database.ExecuteAsync("INSERT INTO custom_filter_keywords (custom_filter_id, keyword, whole_word) VALUES ($1, $2, $3)", id, keyword, wholeWord);
        return id;
    }

    /// <summary>The FilterResult JSON of reference §6.7 for one matching filter.</summary>
    public static string Result(long filterId, string title, string match, string action = "warn", string? expiresAt = null, string context = "\"public\"") =>
        $$"""{"filter":{"id":"{{filterId}}","title":"{{title}}","context":[{{context}}],"expires_at":{{(expiresAt is null ? "null" : $"\"{expiresAt}\"")}},"filter_action":"{{action}}"},"keyword_matches":["{{match}}"],"status_matches":null}""";
}
