namespace AotStreaming.Testing;

/// <summary>Redis messages exactly as Rails publishes them (reference §7.1).</summary>
public static class RailsMessages
{
    public static string Status(string id, long accountId, string username = "author", string? acct = null, string content = "<p>hello</p>", string? language = "en", string mentions = "[]", string extra = "") =>
        $$"""{"event":"update","payload":{"id":"{{id}}","created_at":"2026-11-28T10:00:00.000Z","content":"{{content}}","spoiler_text":"","account":{"id":"{{accountId}}","username":"{{username}}","acct":"{{acct ?? username}}"},"mentions":{{mentions}},"language":{{(language is null ? "null" : $"\"{language}\"")}},"media_attachments":[],"poll":null{{extra}}},"queued_at":1764324000000}""";

    public static string Delete(string id) => $$"""{"event":"delete","payload":"{{id}}"}""";

    public static string Event(string name, string payloadJson) => $$"""{"event":"{{name}}","payload":{{payloadJson}}}""";

    public static string Kill() => """{"event":"kill"}""";

    public static string FiltersChanged() => """{"event":"filters_changed"}""";
}
