using AotStreaming.Support;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Filtering;

/// <summary>Reference §6.3 step 1 and §6.4: disabled live and topic feeds, and the view_feeds bypass.</summary>
public sealed class FeedAccessTests(FeedAccessFixture fixture) : IClassFixture<FeedAccessFixture>
{
    private const long ViewFeeds = 1L << 20;

    private readonly StreamingServer _server = fixture.Server;
    private readonly MastodonDatabase _db = fixture.Database;

    [Fact]
    public async Task LocalLiveFeedDisabled_Public_LocalDroppedRemoteDelivered_Section6_4()
    {
        var viewer = await _db.CreateUserAsync();
        var local = await _db.CreateUserAsync();
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "public");
        await using var _ = receiver;

        await _server.PublishAsync(channel, FilterScenario.Status("local1", local.AccountId, local.Username));
        await _server.PublishAsync(channel, RailsMessages.Delete("del1"));
        await _server.PublishAsync(channel, FilterScenario.Status("remote1", 42, "bob", "bob@remote.example"));

        var delete = await receiver.NextAsync();
        Assert.Equal(("delete", "del1"), (delete.Event, delete.Payload));
        var frame = await receiver.NextAsync();
        Assert.Equal("remote1", frame.Id);
        Assert.Equal("[]", frame.FilteredJson);
    }

    [Fact]
    public async Task LocalLiveFeedDisabled_ViewFeedsRole_LocalDelivered_Section6_4()
    {
        var viewer = await _db.CreateUserAsync(rolePermissions: ViewFeeds);
        var local = await _db.CreateUserAsync();
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "public");
        await using var _ = receiver;

        await _server.PublishAsync(channel, FilterScenario.Status("local2", local.AccountId, local.Username));

        Assert.Equal("local2", (await receiver.NextAsync()).Id);
    }

    [Fact]
    public async Task LocalLiveFeedDisabled_AdministratorOnlyRole_LocalDropped_Section6_4()
    {
        var viewer = await _db.CreateUserAsync(rolePermissions: 1);
        var local = await _db.CreateUserAsync();
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "public");
        await using var _ = receiver;

        await _server.PublishAsync(channel, FilterScenario.Status("local3", local.AccountId, local.Username));
        await _server.PublishAsync(channel, FilterScenario.Status("remote3", 43, "eve", "eve@remote.example"));

        Assert.Equal("remote3", (await receiver.NextAsync()).Id);
    }

    [Fact]
    public async Task RemoteTopicFeedDisabled_Hashtag_RemoteDroppedLocalDelivered_Section6_4()
    {
        var viewer = await _db.CreateUserAsync();
        var local = await _db.CreateUserAsync();
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "hashtag");
        await using var _ = receiver;

        await _server.PublishAsync(channel, FilterScenario.Status("remote4", 44, "bob", "bob@remote.example"));
        await _server.PublishAsync(channel, FilterScenario.Status("local4", local.AccountId, local.Username));

        Assert.Equal("local4", (await receiver.NextAsync()).Id);
    }

    [Fact]
    public async Task RemoteTopicFeedDisabled_ViewFeedsRole_RemoteDelivered_Section6_4()
    {
        var viewer = await _db.CreateUserAsync(rolePermissions: ViewFeeds | 1);
        var (receiver, channel) = await FilterScenario.SubscribeAsync(_server, viewer, "hashtag");
        await using var _ = receiver;

        await _server.PublishAsync(channel, FilterScenario.Status("remote5", 45, "bob", "bob@remote.example"));

        Assert.Equal("remote5", (await receiver.NextAsync()).Id);
    }
}
