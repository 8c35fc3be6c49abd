using System.Threading.Channels;
using AotStreaming.Decoding;
using AotStreaming.Delivery;
using AotStreaming.Filtering;
using AotStreaming.Protocol;
using Microsoft.Extensions.Logging;

namespace AotStreaming.Dispatch;

/// <summary>
/// Stage 4: one worker owning a slice of the connections and its own channel → subscriptions index. Only its loop
/// touches that index, so no locks; it never awaits a socket: frames go to outboxes with TryWrite. A status that
/// needs the database becomes one <see cref="FilterBatch"/> (one batched query for all recipients); until it
/// comes back through the inbox, later events of its recipients wait in their <see cref="DeferredDeliveries"/>,
/// so every connection keeps Redis order and connections with nothing pending are never delayed.
/// </summary>
internal sealed class Dispatcher
{
    private readonly Channel<DispatcherCommand> _inbox;
    private readonly Dictionary<string, List<Subscription>> _subscriptions = new(StringComparer.Ordinal);
    private readonly StatusFilterStage _filters;
    private readonly ILogger _logger;
    private readonly Diagnostics.StreamingMetrics _metrics;

    public Dispatcher(int index, int inboxCapacity, StatusFilterStage filters, Diagnostics.StreamingMetrics metrics, ILogger logger)
    {
        _metrics = metrics;
        Index = index;
        _inbox = PipelineChannels.CreateDispatcherInbox<DispatcherCommand>(inboxCapacity);
        _filters = filters;
        _logger = logger;
    }

    public int Index { get; }

    public int QueueDepth => _inbox.Reader.Count;

    public ValueTask PostAsync(DispatcherCommand command, CancellationToken cancellationToken = default) =>
        _inbox.Writer.WriteAsync(command, cancellationToken);

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

    private void Handle(in DispatcherCommand command)
    {
        switch (command.Kind)
        {
            case DispatcherCommandKind.Deliver:
                Deliver(command.Event!, command.Deliverable);
                break;
            case DispatcherCommandKind.Subscribe:
                foreach (var channel in command.Subscription!.RedisChannels)
                {
                    if (!_subscriptions.TryGetValue(channel, out var list))
                    {
                        _subscriptions[channel] = list = [];
                    }

                    list.Add(command.Subscription);
                }

                break;
            case DispatcherCommandKind.FilterResolved:
                foreach (var subscription in command.Batch!.Recipients)
                {
                    ReleaseDeferred(subscription.Connection);
                }

                break;
            case DispatcherCommandKind.Unsubscribe:
                foreach (var channel in command.Subscription!.RedisChannels)
                {
                    if (_subscriptions.TryGetValue(channel, out var list))
                    {
                        list.Remove(command.Subscription);
                        if (list.Count == 0)
                        {
                            _subscriptions.Remove(channel);
                        }
                    }
                }

                break;
        }
    }

    private void Deliver(StreamEvent streamEvent, bool deliverable)
    {
        if (!_subscriptions.TryGetValue(streamEvent.Channel, out var list))
        {
            return;
        }

        FilterBatch? batch = null;
        StatusFacts? facts = null;
        for (var i = 0; i < list.Count; i++)
        {
            var subscription = list[i];
            var connection = subscription.Connection;
            if (connection.IsClosing)
            {
                continue;
            }

            if (subscription.IsSystem)
            {
                HandleSystemEvent(streamEvent, connection);
                continue;
            }

            if (!deliverable)
            {
                continue;
            }

            if (!subscription.NeedsFiltering || !streamEvent.IsStatusEvent)
            {
                SendInOrder(connection, new DeferredItem(Frames.For(streamEvent, subscription, default), null, 0, streamEvent.ReceivedTimestamp));
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
            if (facts.IsLocal ? subscription.FilterLocal : subscription.FilterRemote)
            {
                continue;
            }

            var languages = connection.User.ChosenLanguages;
            if (languages is not null && (facts.Language is null || Array.IndexOf(languages, facts.Language) < 0))
            {
                continue;
            }

            // The answer waits on the database: this connection's later events queue behind it (Redis order),
            // while connections with nothing pending keep getting theirs straight away.
            var deferred = connection.Deferred ??= new DeferredDeliveries();
            if (!HasRoom(connection, deferred))
            {
                continue;
            }

            batch ??= new FilterBatch(streamEvent, facts, this);
            deferred.Add(new DeferredItem(null, batch, batch.Add(subscription), streamEvent.ReceivedTimestamp));
        }

        if (batch is not null)
        {
            _filters.Start(batch);
        }

        if (deliverable && streamEvent.ReceivedTimestamp != 0)
        {
            _metrics.RedisToEnqueue.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(streamEvent.ReceivedTimestamp).TotalSeconds);
        }
    }

    /// <summary>Straight to the outbox, unless earlier events of this connection still wait on a filter.</summary>
    private static void SendInOrder(ClientConnection connection, in DeferredItem item)
    {
        var deferred = connection.Deferred;
        if (deferred is null || deferred.Count == 0)
        {
            connection.Send(item.Frame!, receivedTimestamp: item.ReceivedTimestamp);
        }
        else if (HasRoom(connection, deferred))
        {
            deferred.Add(item);
        }
    }

    /// <summary>
    /// Events waiting behind a filter count against the outbox bound, so a client that stopped reading is dropped
    /// as slow whether its frames wait here or in its outbox. False (and the connection closed) when full.
    /// </summary>
    private static bool HasRoom(ClientConnection connection, DeferredDeliveries deferred)
    {
        if (deferred.Count + connection.Outbox.Frames < connection.Outbox.Capacity)
        {
            return true;
        }

        connection.Close(DisconnectReason.Slow);
        return false;
    }

    /// <summary>After a batch resolved: moves every now-ready event of the connection to its outbox, in order.</summary>
    private static void ReleaseDeferred(ClientConnection connection)
    {
        var deferred = connection.Deferred;
        if (deferred is null)
        {
            return;
        }

        while (!connection.IsClosing && deferred.TryTakeReady(out var item))
        {
            if (item.Resolve() is { } frame)
            {
                connection.Send(frame, receivedTimestamp: item.ReceivedTimestamp);
            }
        }
    }

    private void HandleSystemEvent(StreamEvent streamEvent, ClientConnection connection)
    {
        switch (streamEvent.EventName)
        {
            case "kill":
                connection.Close(DisconnectReason.Kill);
                break;
            case "filters_changed":
                Interlocked.Increment(ref connection.FiltersGeneration);
                connection.Filters = null;
                break;
        }
    }
}
