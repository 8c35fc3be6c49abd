using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Filtering;

/// <summary>
/// Reference §6.3 steps 4–6 and §6.6: blocks, mutes and domain blocks on public and hashtag streams, each created
/// while the client is connected (the next status must see it), and none of them applied on the user stream.
/// </summary>
public sealed class RelationshipFilterTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private readonly StreamingServer _server = fixture.Server;
    private readonly MastodonDatabase _db = fixture.Database;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var kind in new[] { "viewer-blocks-author", "viewer-blocks-mentioned", "author-blocks-viewer", "viewer-mutes-author", "viewer-mutes-mentioned", "viewer-blocks-domain" })
        {
            data.Add(kind, "public");
            data.Add(kind, "hashtag");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Status_RelationshipCreatedMidConnection_NextStatusDropped_Section6_6(string kind, string stream)
    {
        var viewer = await _db.CreateUserAsync();
        var (author, username, acct) = await CreateAuthorAsync(kind);
        var mentioned = await _db.CreateRemoteAccountAsync("men" + MastodonDatabase.NextId(), "men.example");
        var bystander = await _db.CreateUserAsync();
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, stream);
        await using var _ = receiver;
        await _server.PublishAsync(channel, FilterScenario.Status("before", author, username, acct, mentions: [mentioned]));
        Assert.Equal("before", (await receiver.NextAsync()).Id);

        await CreateRelationshipAsync(kind, viewer.AccountId, author, mentioned);
        await _server.PublishAsync(channel, FilterScenario.Status("after", author, username, acct, mentions: [mentioned]));
        await _server.PublishAsync(channel, FilterScenario.Status("sentinel", bystander.AccountId, bystander.Username));

        var next = await receiver.NextAsync();
        Assert.Equal("sentinel", next.Id);
        Assert.Equal("[]", next.FilteredJson);
    }

    [Theory]
    [InlineData("viewer-blocks-author")]
    [InlineData("author-blocks-viewer")]
    [InlineData("viewer-mutes-mentioned")]
    [InlineData("viewer-blocks-domain")]
    public async Task UserStream_RelationshipExists_StatusDeliveredUnchanged_Section6_5(string kind)
    {
        var viewer = await _db.CreateUserAsync();
        var (author, username, acct) = await CreateAuthorAsync(kind);
        var mentioned = await _db.CreateRemoteAccountAsync("men" + MastodonDatabase.NextId(), "men.example");
        await using var receiver = await FrameReceiver.ConnectWebSocketAsync(_server, viewer, "user");
        await ChannelSync.SyncAsync(_server, $"timeline:{viewer.AccountId}", receiver);
        await CreateRelationshipAsync(kind, viewer.AccountId, author, mentioned);
        var message = FilterScenario.Status("home1", author, username, acct, mentions: [mentioned]);

        await _server.PublishAsync($"timeline:{viewer.AccountId}", message);

        var frame = await receiver.NextAsync();
        Assert.Equal("home1", frame.Id);
        Assert.Null(frame.FilteredJson);
        Assert.Equal(ExtractPayload(message), frame.Payload);
    }

    private async Task<(long Id, string Username, string Acct)> CreateAuthorAsync(string kind)
    {
        if (kind == "viewer-blocks-domain")
        {
            var id = await _db.CreateRemoteAccountAsync("bob" + MastodonDatabase.NextId(), "remote.example");
            return (id, "bob", "bob@remote.example");
        }

        var author = await _db.CreateUserAsync();
        return (author.AccountId, author.Username, author.Username);
    }

    private Task CreateRelationshipAsync(string kind, long viewer, long author, long mentioned) => kind switch
    {
        "viewer-blocks-author" => _db.ExecuteAsync("INSERT INTO blocks (account_id, target_account_id) VALUES ($1, $2)", viewer, author),
        "viewer-blocks-mentioned" => _db.ExecuteAsync("INSERT INTO blocks (account_id, target_account_id) VALUES ($1, $2)", viewer, mentioned),
        "author-blocks-viewer" => _db.ExecuteAsync("INSERT INTO blocks (account_id, target_account_id) VALUES ($1, $2)", author, viewer),
        "viewer-mutes-author" => _db.ExecuteAsync("INSERT INTO mutes (account_id, target_account_id) VALUES ($1, $2)", viewer, author),
        "viewer-mutes-mentioned" => _db.ExecuteAsync("INSERT INTO mutes (account_id, target_account_id) VALUES ($1, $2)", viewer, mentioned),
        "viewer-blocks-domain" => _db.ExecuteAsync("INSERT INTO account_domain_blocks (account_id, domain) VALUES ($1, 'remote.example')", viewer),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static string ExtractPayload(string message)
    {
        using var document = System.Text.Json.JsonDocument.Parse(message);
        return document.RootElement.GetProperty("payload").GetRawText();
    }
}
