using System.Runtime.CompilerServices;
using System.Threading.Channels;
using AotStreaming.Decoding;
using AotStreaming.Delivery;
using AotStreaming.Filtering;
using AotStreaming.Protocol;
using Microsoft.Extensions.Logging;

namespace AotStreaming.Dispatch;

/// <summary>
/// Stage 4: one worker owning a slice of the connections, its own channel → subscriptions index and each of its
/// connections' dispatch state (<see cref="DispatchedConnection"/>). It never awaits a socket: frames go to
/// outboxes with TryWrite. A status that needs the database becomes one <see cref="PendingStatus"/> (one batched
/// request for all recipients); until its verdict comes back through the inbox, later events of its recipients wait
/// in their <see cref="DeferredDeliveries"/>, so every connection keeps Redis order and connections with nothing
/// pending are never delayed.
/// <para>
/// <b>Ownership rule of Dispatch/:</b> every piece of mutable state has one owner. Everything per connection that
/// dispatching needs (subscriptions, keyword filter cache, deferred events) belongs to the dispatcher the
/// connection was assigned to and is touched only on its loop (<see cref="Handle"/>). Other threads never write
/// it: endpoints post subscription changes, the router posts events and the filter stage (<see cref="IStatusFilter"/>,
/// a pure query + match service) posts its verdicts, all through the same inbox. Delivery owns the socket and the
/// outbox (<see cref="ClientConnection"/>); the dispatcher only enqueues to it or asks it to close.
/// </para>
/// </summary>
internal sealed class Dispatcher : IFilterReplyInbox
{
    private readonly Channel<DispatcherCommand> _inbox;
    private readonly Dictionary<string, List<Recipient>> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<ClientConnection, DispatchedConnection> _connections = new(ReferenceEqualityComparer.Instance);
    private readonly IStatusFilter _filters;
    private readonly ILogger _logger;
    private readonly Diagnostics.StreamingMetrics _metrics;
    private readonly PendingStatusPool _pendingStatuses;

    public Dispatcher(int index, int inboxCapacity, IStatusFilter filters, Diagnostics.StreamingMetrics metrics, ILogger logger)
    {
        _metrics = metrics;
        Index = index;
        _inbox = PipelineChannels.CreateDispatcherInbox<DispatcherCommand>(inboxCapacity);
        _filters = filters;
        _logger = logger;
        _pendingStatuses = new PendingStatusPool(this);
    }

    public int Index { get; }

    public int QueueDepth => _inbox.Reader.Count;

    /// <summary>Connections with dispatch state here (subscribed, or still draining deferred events); loop only.</summary>
    internal int ConnectionCount => _connections.Count;

    public ValueTask PostAsync(DispatcherCommand command, CancellationToken cancellationToken = default) =>
        _inbox.Writer.WriteAsync(command, cancellationToken);

    public ValueTask PostFilterVerdictAsync(FilterRequest request, FilterVerdict verdict) =>
        PostAsync(DispatcherCommand.Resolved((PendingStatus)request, verdict));

    public void Complete() => _inbox.Writer.TryComplete();

    public async Task RunAsync()
    {
        var reader = _inbox.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var command))
            {
                try
                {
                    Handle(command);
                }
                catch (Exception ex)
                {
                    // A bug in one message's handling must not stop the worker that serves a slice of all clients.
                    _logger.DispatchFailed(ex, Index);
                }
            }
        }
    }

    /// <summary>Applies one inbox command; the dispatcher's loop is its only caller outside unit tests.</summary>
    internal void Handle(in DispatcherCommand command)
    {
        switch (command.Kind)
        {
            case DispatcherCommandKind.Deliver:
                Deliver(command.Event!, command.Deliverable);
                break;
            case DispatcherCommandKind.Subscribe:
                Subscribe(command.Subscription!);
                break;
            case DispatcherCommandKind.FilterResolved:
                Resolve(command.Pending!, command.Verdict!);
                break;
            case DispatcherCommandKind.Unsubscribe:
                Unsubscribe(command.Subscription!);
                break;
        }

        // Between commands no pass over a status' slots is running: statuses whose frames were all taken are reused.
        _pendingStatuses.RecycleFinished();
    }

    private void Subscribe(Subscription subscription)
    {
        if (!_connections.TryGetValue(subscription.Connection, out var connection))
        {
            _connections[subscription.Connection] = connection = new DispatchedConnection(subscription.Connection);
        }

        connection.Subscriptions++;
        foreach (var channel in subscription.RedisChannels)
        {
            if (!_subscriptions.TryGetValue(channel, out var list))
            {
                _subscriptions[channel] = list = [];
            }

            list.Add(new Recipient(subscription, connection));
        }
    }

    private void Unsubscribe(Subscription subscription)
    {
        foreach (var channel in subscription.RedisChannels)
        {
            if (_subscriptions.TryGetValue(channel, out var list))
            {
                var at = list.FindIndex(r => ReferenceEquals(r.Subscription, subscription));
                if (at >= 0)
                {
                    list.RemoveAt(at);
                }

                if (list.Count == 0)
                {
                    _subscriptions.Remove(channel);
                }
            }
        }

        if (_connections.TryGetValue(subscription.Connection, out var connection) && --connection.Subscriptions <= 0)
        {
            ForgetIfIdle(connection);
        }
    }

    /// <summary>
    /// Drops the state of a connection without subscriptions, unless events deferred before the unsubscribe still
    /// wait for a verdict (they are released in order, and a quick resubscribe must queue behind them).
    /// </summary>
    private void ForgetIfIdle(DispatchedConnection connection)
    {
        if (connection.Connection.IsClosing)
        {
            connection.Deferred?.Clear();
            connection.Awaiting = null;
        }

        if (!connection.IsBlocked)
        {
            _connections.Remove(connection.Connection);
        }
    }

    private void Deliver(StreamEvent streamEvent, bool deliverable)
    {
        if (!_subscriptions.TryGetValue(streamEvent.Channel, out var list))
        {
            return;
        }

        PendingStatus? pending = null;
        StatusFacts? facts = null;
        for (var i = 0; i < list.Count; i++)
        {
            // The slot's copies of the subscription's fields: the subscription object itself is not loaded here.
            var recipient = list[i];
            PrefetchAhead(list, i);
            var connection = recipient.Connection;
            var client = connection.Connection;
            if (client.IsClosing)
            {
                continue;
            }

            if (recipient.IsSystem)
            {
                HandleSystemEvent(streamEvent, connection);
                continue;
            }

            if (!deliverable)
            {
                continue;
            }

            if (!recipient.NeedsFiltering || !streamEvent.IsStatusEvent)
            {
                SendInOrder(connection, new DeferredItem(Frames.For(streamEvent, recipient.Transport, recipient.StreamArray, default), null, 0, streamEvent.ReceivedTimestamp));
                continue;
            }

            if (facts is null)
            {
                try
                {
                    facts = streamEvent.GetStatusFacts();
                }
                catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException or InvalidOperationException)
                {
                    // Upstream's process dies here (reference §1); we skip this one message for filtered recipients.
                    _logger.UnfilterableStatus(streamEvent.Channel, ex.Message);
                    return;
                }
            }

            // Feed access (§6.4) and language (§6.5) need no database: decided here, per recipient.
            if (facts.IsLocal ? recipient.FilterLocal : recipient.FilterRemote)
            {
                continue;
            }

            var languages = connection.ChosenLanguages;
            if (languages is not null && (facts.Language is null || Array.IndexOf(languages, facts.Language) < 0))
            {
                continue;
            }

            // The answer waits on the database: this connection's later events queue behind it (Redis order),
            // while connections with nothing pending keep getting theirs straight away.
            if (!HasRoom(connection))
            {
                continue;
            }

            // Sized for every remaining subscriber of the channel: on a public timeline nearly all of them are filtered,
            // and growing the slot list and viewer table thousands of entries at a time showed up in perf.
            pending ??= _pendingStatuses.Rent(streamEvent, facts, list.Count - i);
            var slot = pending.Add(connection, recipient.Transport, recipient.StreamArray);
            if (!connection.IsBlocked)
            {
                // The usual case: nothing else waits for this connection, so no queue entry is needed.
                connection.Awaiting = pending;
                connection.AwaitingSlot = slot;
            }
            else
            {
                (connection.Deferred ??= new DeferredDeliveries()).Add(new DeferredItem(null, pending, slot, streamEvent.ReceivedTimestamp));
            }
        }

        if (pending is not null)
        {
            _filters.Start(pending);
        }

        if (deliverable && streamEvent.ReceivedTimestamp != 0)
        {
            _metrics.RedisToEnqueue.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(streamEvent.ReceivedTimestamp).TotalSeconds);
        }
    }

    /// <summary>
    /// Sending to one recipient takes microseconds in the kernel: time for the next recipients' objects to reach the
    /// cache (<see cref="CacheLines"/>). Each address is read from an object asked for one turn earlier, so no step
    /// waits on memory: the dispatch state four recipients ahead (its address is in the list), the connection three
    /// ahead, then the objects its send goes through two ahead and the socket one ahead.
    /// </summary>
    private static void PrefetchAhead(List<Recipient> list, int i) =>
        PrefetchAhead(ConnectionAt(list, i + 4), ConnectionAt(list, i + 3), ConnectionAt(list, i + 2), ConnectionAt(list, i + 1));

    private static DispatchedConnection? ConnectionAt(List<Recipient> list, int index) =>
        index < list.Count ? list[index].Connection : null;

    /// <summary>The steps of <see cref="PrefetchAhead(List{Recipient}, int)"/>, for any list of recipients (null past its end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchAhead(DispatchedConnection? fourAhead, DispatchedConnection? threeAhead, DispatchedConnection? twoAhead, DispatchedConnection? oneAhead)
    {
        CacheLines.Prefetch(fourAhead);
        if (threeAhead is not null)
        {
            CacheLines.Prefetch(threeAhead.Connection);
        }

        twoAhead?.Connection.PrefetchSendPath(nearSteps: 1);
        oneAhead?.Connection.PrefetchSendPath(nearSteps: 2);
    }

    /// <summary>A verdict came back: applies it, then releases every recipient's now-ready events in order.</summary>
    private void Resolve(PendingStatus pending, FilterVerdict verdict)
    {
        pending.Resolve(verdict);
        var timestamp = pending.Event.ReceivedTimestamp;
        for (var i = 0; i < pending.RecipientCount; i++)
        {
            PrefetchAhead(pending.RecipientAtOrNull(i + 4), pending.RecipientAtOrNull(i + 3), pending.RecipientAtOrNull(i + 2), pending.RecipientAtOrNull(i + 1));
            var connection = pending.RecipientAt(i);
            if (ReferenceEquals(connection.Awaiting, pending))
            {
                connection.Awaiting = null;
                // Taken even for a closing connection: the status is reused once every slot's frame is taken.
                if (pending.TakeFrame(connection.AwaitingSlot) is { } frame && !connection.Connection.IsClosing)
                {
                    connection.Connection.Send(frame, receivedTimestamp: timestamp);
                }
            }

            // Checked before the call: most recipients have nothing deferred, and on kernels that flush the TLB at
            // each system call (page-table isolation without PCID, as on the benchmark VM) every code page touched
            // after a send is a miss again.
            if (connection.Awaiting is null && connection.Deferred is { } deferred)
            {
                ReleaseDeferred(connection, deferred);
            }

            if (connection.Subscriptions <= 0)
            {
                ForgetIfIdle(connection);
            }
        }
    }

    /// <summary>Straight to the outbox, unless earlier events of this connection still wait on a filter.</summary>
    private static void SendInOrder(DispatchedConnection connection, in DeferredItem item)
    {
        if (!connection.IsBlocked)
        {
            connection.Connection.Send(item.Frame!, receivedTimestamp: item.ReceivedTimestamp);
        }
        else if (HasRoom(connection))
        {
            (connection.Deferred ??= new DeferredDeliveries()).Add(item);
        }
    }

    /// <summary>
    /// Events waiting behind a filter count against the outbox bound, so a client that stopped reading is dropped
    /// as slow whether its frames wait here or in its outbox. False (and the connection closed) when full.
    /// </summary>
    private static bool HasRoom(DispatchedConnection connection)
    {
        var client = connection.Connection;
        if (connection.Waiting + client.Outbox.Frames < client.Outbox.Capacity)
        {
            return true;
        }

        client.Close(DisconnectReason.Slow);
        return false;
    }

    /// <summary>Moves every now-ready event of the connection to its outbox, in order.</summary>
    private static void ReleaseDeferred(DispatchedConnection connection, DeferredDeliveries deferred)
    {
        var client = connection.Connection;
        if (client.IsClosing)
        {
            deferred.Clear();
            connection.Awaiting = null;
            return;
        }

        while (!client.IsClosing && deferred.TryTakeReady(out var item))
        {
            if (item.Take() is { } frame)
            {
                client.Send(frame, receivedTimestamp: item.ReceivedTimestamp);
            }
        }
    }

    private static void HandleSystemEvent(StreamEvent streamEvent, DispatchedConnection connection)
    {
        switch (streamEvent.EventName)
        {
            case "kill":
                connection.Connection.Close(DisconnectReason.Kill);
                break;
            case "filters_changed":
                connection.FiltersGeneration++;
                connection.Filters = null;
                break;
        }
    }

    /// <summary>
    /// One subscription on a channel, with its connection's dispatch state (no lookup per delivery) and copies of the
    /// subscription's fixed fields that every event reads: a broadcast walks this list for thousands of recipients,
    /// and loading each subscription object as well cost a cache miss per recipient.
    /// </summary>
    private readonly struct Recipient(Subscription subscription, DispatchedConnection connection)
    {
        public Subscription Subscription { get; } = subscription;

        public DispatchedConnection Connection { get; } = connection;

        public byte[] StreamArray { get; } = subscription.StreamArray;

        public Transport Transport { get; } = subscription.Connection.Transport;

        public bool IsSystem { get; } = subscription.IsSystem;

        public bool NeedsFiltering { get; } = subscription.NeedsFiltering;

        public bool FilterLocal { get; } = subscription.FilterLocal;

        public bool FilterRemote { get; } = subscription.FilterRemote;
    }
}
