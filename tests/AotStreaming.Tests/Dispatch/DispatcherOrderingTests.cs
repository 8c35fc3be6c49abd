using System.Text;
using AotStreaming.Protocol;
using AotStreaming.Decoding;
using AotStreaming.Delivery;
using AotStreaming.Diagnostics;
using AotStreaming.Filtering;
using AotStreaming.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace AotStreaming.Dispatch;

/// <summary>
/// The dispatcher's ordering and deferral, driven command by command through <see cref="Dispatcher.Handle"/> (its
/// loop's only entry): the filter stage is replaced by one that records requests, and each test decides when and
/// how a verdict comes back, as the inbox would deliver it.
/// </summary>
public sealed class DispatcherOrderingTests
{
    private const string Public = "timeline:public";
    private const string UserChannel = "timeline:7";

    private readonly RecordingFilter _filter = new();
    private readonly Dispatcher _dispatcher;

    public DispatcherOrderingTests()
    {
        _dispatcher = new Dispatcher(0, 64, _filter, new StreamingMetrics(), NullLogger.Instance);
    }

    [Fact]
    public void Deliver_UnfilteredEvent_NothingPending_SentAtOnceWithoutFilterRequest()
    {
        var client = Connect(accountId: 7, out _, UserChannel);

        Deliver(UserChannel, "u1");

        Assert.Equal(["u1"], client.Markers);
        Assert.Empty(_filter.Requests);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(9)]
    public void Deliver_EveryListLengthAroundThePrefetchLookAhead_EachRecipientGetsTheEventOnce(int recipients)
    {
        // The loop asks for recipients up to four ahead of the one it sends to: lists shorter and longer than that
        // window must all be walked to the end, without reading past it.
        var clients = Enumerable.Range(0, recipients).Select(n => Connect(accountId: 100 + n, out _, UserChannel)).ToList();

        Deliver(UserChannel, "u1");
        Deliver(UserChannel, "u2");

        Assert.All(clients, client => Assert.Equal(["u1", "u2"], client.Markers));
    }

    [Fact]
    public void Deliver_FilteredStatusPending_LaterUnfilteredEventWaitsBehindIt_ThenBothInRedisOrder()
    {
        var client = Connect(accountId: 7, out _, Public, UserChannel);

        Deliver(Public, "s1");
        Deliver(UserChannel, "u1");

        Assert.Empty(client.Markers);
        Resolve(_filter.Requests.Single(), Verdict());

        Assert.Equal(["s1", "u1"], client.Markers);
        Assert.Contains("\\\"filtered\\\":[]", client.Texts[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Deliver_OneConnectionPending_ConnectionWithNothingPendingIsNotDelayed()
    {
        var waiting = Connect(accountId: 7, out _, Public, UserChannel);
        var other = Connect(accountId: 8, out _, UserChannel);

        Deliver(Public, "s1");
        Deliver(UserChannel, "u1");

        Assert.Empty(waiting.Markers);
        Assert.Equal(["u1"], other.Markers);
    }

    [Fact]
    public void Resolve_SecondStatusAnsweredFirst_HeldUntilFirstResolved_ThenInOrder()
    {
        var client = Connect(accountId: 7, out _, Public);

        Deliver(Public, "s1");
        Deliver(Public, "s2");
        Assert.Equal(2, _filter.Requests.Count);

        Resolve(_filter.Requests[1], Verdict());
        Assert.Empty(client.Markers);

        Resolve(_filter.Requests[0], Verdict());
        Assert.Equal(["s1", "s2"], client.Markers);
    }

    [Fact]
    public void Resolve_ExcludedViewerAndKeywordMatch_OthersShareOneFrame()
    {
        var excluded = Connect(accountId: 7, out _, Public, UserChannel);
        var matched = Connect(accountId: 8, out _, Public);
        var plain1 = Connect(accountId: 9, out _, Public);
        var plain2 = Connect(accountId: 10, out _, Public);

        Deliver(Public, "s1");
        Deliver(UserChannel, "u1");
        var request = _filter.Requests.Single();
        Assert.Equal([7L, 8L, 9L, 10L], request.Viewers.Keys.Order());

        Resolve(request, Verdict(excluded: [7], matches: new() { [8] = "[\"m\"]"u8.ToArray() }));

        // The excluded viewer's later event is released all the same.
        Assert.Equal(["u1"], excluded.Markers);
        Assert.Contains("\\\"filtered\\\":[\\\"m\\\"]", matched.Texts.Single(), StringComparison.Ordinal);
        Assert.Same(plain1.Frames.Single(), plain2.Frames.Single());
    }

    [Fact]
    public void Resolve_KeywordMatchQueuedBehindEarlierStatus_ItsOwnFrameWhenReleased_OthersStillShareOne()
    {
        var matched = Connect(accountId: 8, out _, Public);
        var plain1 = Connect(accountId: 9, out _, Public);
        var plain2 = Connect(accountId: 10, out _, Public);

        Deliver(Public, "s1");
        Deliver(Public, "s2");
        Resolve(_filter.Requests[1], Verdict(matches: new() { [8] = "[\"m\"]"u8.ToArray() }));
        Assert.Empty(matched.Markers);

        // s2's frames wait in their slots behind s1 and are taken only now, in Redis order.
        Resolve(_filter.Requests[0], Verdict());
        Assert.Equal(["s1", "s2"], matched.Markers);
        Assert.Contains("\\\"filtered\\\":[]", matched.Texts[0], StringComparison.Ordinal);
        Assert.Contains("\\\"filtered\\\":[\\\"m\\\"]", matched.Texts[1], StringComparison.Ordinal);
        Assert.Equal(["s1", "s2"], plain1.Markers);
        Assert.Contains("\\\"filtered\\\":[]", plain1.Texts[1], StringComparison.Ordinal);
        Assert.Same(plain1.Frames[1], plain2.Frames[1]);
    }

    [Fact]
    public void Resolve_DatabaseFailed_NobodyGetsTheStatus_LaterEventsReleased()
    {
        var client = Connect(accountId: 7, out _, Public, UserChannel);

        Deliver(Public, "s1");
        Deliver(UserChannel, "u1");
        Resolve(_filter.Requests.Single(), FilterVerdict.FailedClosed);

        Assert.Equal(["u1"], client.Markers);
    }

    [Fact]
    public void FilterCache_LoadedFiltersCachedByDispatcher_NextRequestCarriesThem()
    {
        Connect(accountId: 7, out _, Public);
        var loaded = Filters("apple");

        Deliver(Public, "s1");
        Assert.Null(_filter.Requests[0].Viewers[7]);
        Resolve(_filter.Requests[0], Verdict(loaded: new() { [7] = loaded }));

        Deliver(Public, "s2");
        Assert.Same(loaded, _filter.Requests[1].Viewers[7]);
    }

    [Fact]
    public void FiltersChanged_WhileLoadInFlight_LoadedFiltersNotCached_NextStatusReloads()
    {
        Connect(accountId: 7, out var system, Public);

        Deliver(Public, "s1");
        // The user edits their filters while s1's query runs: the answer carries the filters from before.
        Deliver(system, "filters_changed");
        Resolve(_filter.Requests[0], Verdict(loaded: new() { [7] = Filters("old") }));

        Deliver(Public, "s2");
        Assert.Null(_filter.Requests[1].Viewers[7]);
    }

    [Fact]
    public void FiltersChanged_WithFiltersCached_CacheClearedSoNextStatusReloads()
    {
        Connect(accountId: 7, out var system, Public);
        Deliver(Public, "s1");
        Resolve(_filter.Requests[0], Verdict(loaded: new() { [7] = Filters("old") }));

        Deliver(system, "filters_changed");
        Deliver(Public, "s2");

        Assert.Null(_filter.Requests[1].Viewers[7]);
    }

    [Fact]
    public void Unsubscribe_WhilePending_EarlierStatusStillDelivered_ThenStateDropped()
    {
        var client = Connect(accountId: 7, out var system, Public);
        var subscriptions = _subscriptions[client];

        Deliver(Public, "s1");
        foreach (var subscription in subscriptions)
        {
            _dispatcher.Handle(DispatcherCommand.Remove(subscription));
        }

        Assert.Equal(1, _dispatcher.ConnectionCount);
        Resolve(_filter.Requests.Single(), Verdict());

        Assert.Equal(["s1"], client.Markers);
        Assert.Equal(0, _dispatcher.ConnectionCount);
    }

    [Fact]
    public void Unsubscribe_ClosedConnectionWhilePending_NothingSentAndStateDropped()
    {
        var client = Connect(accountId: 7, out _, Public);

        Deliver(Public, "s1");
        client.Close(DisconnectReason.ClientClosed);
        foreach (var subscription in _subscriptions[client])
        {
            _dispatcher.Handle(DispatcherCommand.Remove(subscription));
        }

        Assert.Equal(0, _dispatcher.ConnectionCount);
        Resolve(_filter.Requests.Single(), Verdict());
        Assert.Empty(client.Markers);
    }

    [Fact]
    public void Deferred_MoreThanOutboxCapacityWaiting_ConnectionClosedAsSlow()
    {
        var client = Connect(accountId: 7, out _, Public, UserChannel);

        Deliver(Public, "s1");
        for (var i = 0; i < RecordingConnection.Capacity; i++)
        {
            Deliver(UserChannel, "u" + i);
        }

        Assert.True(client.IsClosing);
        Assert.Equal(DisconnectReason.Slow, client.Reason);
    }

    [Fact]
    public void Kill_OnSystemChannel_ClosesConnection()
    {
        var client = Connect(accountId: 7, out var system, UserChannel);

        Deliver(system, "kill");

        Assert.Equal(DisconnectReason.Kill, client.Reason);
    }

    [Fact]
    public void Resolve_EveryFrameTaken_NextStatusReusesTheRequest_WithOnlyItsOwnViewersAndEvent()
    {
        var excluded = Connect(accountId: 7, out _, Public);
        var plain = Connect(accountId: 8, out _, Public);

        Deliver(Public, "s1");
        Resolve(_filter.Requests[0], Verdict(excluded: [7]));
        Deliver(Public, "s2");

        Assert.Same(_filter.Requests[0], _filter.Requests[1]);
        Assert.Equal([7L, 8L], _filter.Requests[1].Viewers.Keys.Order());
        Assert.Contains("mark:s2:end", Encoding.UTF8.GetString(_filter.Requests[1].Event.Payload.Span), StringComparison.Ordinal);
        Resolve(_filter.Requests[1], Verdict());
        Assert.Equal(["s2"], excluded.Markers);
        Assert.Equal(["s1", "s2"], plain.Markers);
    }

    [Fact]
    public void Resolve_SlotQueuedBehindEarlierStatus_RequestNotReusedUntilItsFrameIsTaken()
    {
        var client = Connect(accountId: 7, out _, Public);

        Deliver(Public, "s1");
        Deliver(Public, "s2");
        Resolve(_filter.Requests[1], Verdict());
        Deliver(Public, "s3");

        // s2's frame still waits in the queue behind s1: its request must not carry s3.
        Assert.Equal(3, _filter.Requests.Distinct().Count());
        Resolve(_filter.Requests[0], Verdict());
        Assert.Equal(["s1", "s2"], client.Markers);

        Deliver(Public, "s4");
        Assert.Contains(_filter.Requests[3], _filter.Requests.Take(2));
        Resolve(_filter.Requests[2], Verdict());
        Resolve(_filter.Requests[3], Verdict());
        Assert.Equal(["s1", "s2", "s3", "s4"], client.Markers);
    }

    [Fact]
    public void Resolve_ConnectionClosedWithAQueuedSlot_ThatRequestIsNeverReused()
    {
        var closing = Connect(accountId: 7, out _, Public);
        var other = Connect(accountId: 8, out _, Public);

        Deliver(Public, "s1");
        Deliver(Public, "s2");
        closing.Close(DisconnectReason.Slow);
        Resolve(_filter.Requests[0], Verdict());
        Resolve(_filter.Requests[1], Verdict());
        Deliver(Public, "s3");

        // The closing connection's queue (with s2's slot) was dropped: that request stays out of the pool for good.
        Assert.Same(_filter.Requests[0], _filter.Requests[2]);
        Assert.NotSame(_filter.Requests[1], _filter.Requests[2]);
        Resolve(_filter.Requests[2], Verdict());
        Assert.Equal(["s1", "s2", "s3"], other.Markers);
        Assert.Empty(closing.Markers);
    }

    [Fact]
    public void Resolve_MoreStatusesFinishedThanThePoolKeeps_ShippedEightAreReused()
    {
        const int InFlight = 10;
        Assert.Equal(8, PendingStatusPool.MaxSpare);
        _outboxCapacity = 2 * InFlight;
        Connect(accountId: 7, out _, Public);
        Connect(accountId: 8, out _, Public);
        for (var i = 0; i < InFlight; i++)
        {
            Deliver(Public, "a" + i);
        }

        var first = _filter.Requests.ToList();
        foreach (var request in first)
        {
            Resolve(request, Verdict());
        }

        for (var i = 0; i < InFlight; i++)
        {
            Deliver(Public, "b" + i);
        }

        var second = _filter.Requests.Skip(InFlight).ToList();
        Assert.Equal(InFlight, first.Distinct().Count());
        Assert.Equal(PendingStatusPool.MaxSpare, second.Count(first.Contains));
        Assert.Equal(InFlight, second.Distinct().Count());
    }

    private readonly Dictionary<RecordingConnection, List<Subscription>> _subscriptions = [];

    // Outbox bound of the connections Connect makes; events waiting on a filter count against it.
    private int _outboxCapacity = RecordingConnection.Capacity;

    /// <summary>A WebSocket connection subscribed to its system channel and to <paramref name="channels"/> (public ones filtered).</summary>
    private RecordingConnection Connect(long accountId, out string systemChannel, params string[] channels)
    {
        var client = new RecordingConnection(accountId, _outboxCapacity);
        systemChannel = "timeline:system:" + accountId;
        var list = new List<Subscription>
        {
            new() { Connection = client, ChannelName = "system", RedisChannels = [systemChannel], StreamArray = [], IsSystem = true },
        };
        foreach (var channel in channels)
        {
            var filtered = channel == Public;
            list.Add(new Subscription
            {
                Connection = client,
                ChannelName = filtered ? "public" : "user",
                RedisChannels = [channel],
                StreamArray = Encoding.UTF8.GetBytes(filtered ? "[\"public\"]" : "[\"user\"]"),
                NeedsFiltering = filtered,
            });
        }

        foreach (var subscription in list)
        {
            _dispatcher.Handle(DispatcherCommand.Add(subscription));
        }

        _subscriptions[client] = list;
        return client;
    }

    private void Deliver(string channel, string markerOrEvent)
    {
        var isSystemEvent = markerOrEvent is "filters_changed" or "kill";
        var payload = isSystemEvent
            ? "null"
            : $$"""{"id":"1","content":"mark:{{markerOrEvent}}:end","language":null,"account":{"id":"99","username":"a","acct":"a"},"mentions":[]}""";
        var streamEvent = new StreamEvent
        {
            Channel = channel,
            EventName = isSystemEvent ? markerOrEvent : "update",
            PayloadKind = isSystemEvent ? PayloadKind.Bare : PayloadKind.Json,
            Payload = Encoding.UTF8.GetBytes(payload),
        };
        _dispatcher.Handle(DispatcherCommand.Deliver(streamEvent, deliverable: !isSystemEvent));
    }

    private void Resolve(FilterRequest request, FilterVerdict verdict) =>
        _dispatcher.Handle(DispatcherCommand.Resolved((PendingStatus)request, verdict));

    private static FilterVerdict Verdict(
        long[]? excluded = null, Dictionary<long, byte[]>? matches = null, Dictionary<long, KeywordFilterSet>? loaded = null) =>
        new([.. excluded ?? []], matches, loaded);

    private static KeywordFilterSet Filters(string keyword) =>
        KeywordFilterSet.Build([new KeywordFilterRow(1, "t", ["public"], null, 0, keyword, false)]);

    /// <summary>Records requests instead of querying; the test answers them.</summary>
    private sealed class RecordingFilter : IStatusFilter
    {
        public List<FilterRequest> Requests { get; } = [];

        public void Start(FilterRequest request) => Requests.Add(request);
    }

    /// <summary>A connection whose socket takes every frame at once and remembers it.</summary>
    private sealed class RecordingConnection(long accountId, int capacity = RecordingConnection.Capacity) : ClientConnection(
        Transport.WebSocket,
        new AuthenticatedUser(accountId, accountId, ["read"], null, 0),
        new DeliveryOptions { OutboxCapacity = capacity },
        new StreamingMetrics())
    {
        public const int Capacity = 8;

        public List<byte[]> Frames { get; } = [];

        public List<string> Texts => [.. Frames.Select(f => Encoding.UTF8.GetString(f))];

        /// <summary>The content marker of each frame (<c>mark:…:end</c> in the status' content).</summary>
        public List<string> Markers => [.. Texts.Select(t => t[(t.IndexOf("mark:", StringComparison.Ordinal) + 5)..t.IndexOf(":end", StringComparison.Ordinal)])];

        protected override ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken)
        {
            // The frame array itself (one frame per write here), so tests can see which recipients share one.
            Frames.Add(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(frames, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                ? segment.Array
                : frames.ToArray());
            return ValueTask.CompletedTask;
        }

        protected override Task CloseTransportAsync(DisconnectReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

        protected override void AbortTransport()
        {
        }
    }
}
