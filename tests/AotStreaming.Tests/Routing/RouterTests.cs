using System.Text;
using AotStreaming.Diagnostics;
using AotStreaming.Dispatch;
using AotStreaming.Ingress;
using Microsoft.Extensions.Logging.Abstractions;

namespace AotStreaming.Routing;

public sealed class RouterTests
{
    private const string Update = """{"event":"update","payload":{"id":"1","content":"<p>hi</p>"}}""";

    private readonly FakeEventSource _source = new();
    private readonly RecordingInboxes _inboxes = new();
    private readonly StreamingMetrics _metrics = new();
    private readonly SubscriptionIndex _index;

    public RouterTests()
    {
        _index = new SubscriptionIndex(_source, dispatcherCount: 4);
    }

    [Fact]
    public async Task Route_ChannelWithSubscribersOnTwoDispatchers_PostsOneDeliverToEachOfThem()
    {
        _index.Acquire("timeline:public", dispatcher: 1, presence: false);
        _index.Acquire("timeline:public", dispatcher: 3, presence: false);
        _index.Acquire("timeline:public", dispatcher: 3, presence: false);
        _source.Publish("timeline:public", Update);

        await RunRouterAsync();

        Assert.Equal([1, 3], _inboxes.Posts.Select(p => p.Dispatcher));
        Assert.All(_inboxes.Posts, p =>
        {
            Assert.Equal(DispatcherCommandKind.Deliver, p.Command.Kind);
            Assert.True(p.Command.Deliverable);
            Assert.Equal("update", p.Command.Event!.EventName);
        });
        Assert.Same(_inboxes.Posts[0].Command.Event, _inboxes.Posts[1].Command.Event);
        Assert.Equal(1, _metrics.RecipientsPerMessage.Count);
        Assert.Equal(3, _metrics.RecipientsPerMessage.Sum);
    }

    [Fact]
    public async Task Route_ChannelWithoutSubscribers_IsNeitherDecodedNorPosted()
    {
        _index.Acquire("timeline:public", dispatcher: 0, presence: false);
        _source.Publish("timeline:hashtag:nobody", Update);
        _source.Publish("timeline:hashtag:nobody", "not json at all");

        await RunRouterAsync();

        Assert.Empty(_inboxes.Posts);
        // A malformed message on a subscribed channel is counted (next test); here it was never even parsed.
        Assert.Equal(0, _metrics.MalformedRedisMessages.Value);
        Assert.Equal(0, _metrics.RecipientsPerMessage.Count);
    }

    [Fact]
    public async Task Route_MalformedMessageOnSubscribedChannel_IsCountedAndNotPosted()
    {
        _index.Acquire("timeline:public", dispatcher: 0, presence: false);
        _source.Publish("timeline:public", "not json at all");

        await RunRouterAsync();

        Assert.Empty(_inboxes.Posts);
        Assert.Equal(1, _metrics.MalformedRedisMessages.Value);
    }

    [Fact]
    public async Task Route_EventWithoutPayload_IsPostedAsNotDeliverableForSystemListeners()
    {
        _index.Acquire("timeline:7", dispatcher: 2, presence: false);
        _source.Publish("timeline:7", """{"event":"filters_changed"}""");

        await RunRouterAsync();

        var post = Assert.Single(_inboxes.Posts);
        Assert.Equal(2, post.Dispatcher);
        Assert.False(post.Command.Deliverable);
        Assert.Equal("filters_changed", post.Command.Event!.EventName);
        Assert.Equal(0, _metrics.RecipientsPerMessage.Count);
    }

    [Fact]
    public async Task Route_ChannelWhoseLastSubscriberLeft_IsNoLongerPosted()
    {
        _index.Acquire("timeline:public", dispatcher: 0, presence: false);
        _index.Acquire("timeline:public", dispatcher: 1, presence: false);
        _index.Release("timeline:public", dispatcher: 0, presence: false);
        _source.Publish("timeline:public", Update);
        _index.Release("timeline:public", dispatcher: 1, presence: false);

        await RunRouterAsync();

        Assert.Empty(_inboxes.Posts);
    }

    [Fact]
    public async Task Route_EventsOnSeveralChannels_ReachEachDispatcherInRedisOrder()
    {
        _index.Acquire("timeline:public", dispatcher: 0, presence: false);
        _index.Acquire("timeline:1", dispatcher: 0, presence: false);
        _index.Acquire("timeline:1", dispatcher: 2, presence: false);
        for (var i = 0; i < 10; i++)
        {
            _source.Publish(i % 2 == 0 ? "timeline:public" : "timeline:1", $$"""{"event":"delete","payload":"{{i}}"}""");
        }

        await RunRouterAsync();

        Assert.Equal(
            Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            _inboxes.Posts.Where(p => p.Dispatcher == 0).Select(p => Encoding.UTF8.GetString(p.Command.Event!.Payload.Span)));
        Assert.Equal(
            ["1", "3", "5", "7", "9"],
            _inboxes.Posts.Where(p => p.Dispatcher == 2).Select(p => Encoding.UTF8.GetString(p.Command.Event!.Payload.Span)));
        Assert.DoesNotContain(_inboxes.Posts, p => p.Dispatcher is 1 or 3);
    }

    /// <summary>Runs the router until it has routed everything published so far (the source is completed first).</summary>
    private async Task RunRouterAsync()
    {
        _source.Writer.Complete();
        var router = new Router(_source, _index, _inboxes, _metrics, NullLogger<Router>.Instance);

        await router.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
    }
}
