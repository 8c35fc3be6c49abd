using System.Threading.Channels;
using AotStreaming.Decoding;
using AotStreaming.Delivery;
using AotStreaming.Filtering;
using Microsoft.Extensions.Logging;

namespace AotStreaming.Dispatch;

/// <summary>
/// Stage 4: one worker owning a slice of the connections and its own channel → subscriptions index. Only its loop
/// touches that index, so no locks; it never awaits a socket: frames go to outboxes with TryWrite, and statuses
/// that need the database hold their place in each outbox while one batched query runs for all recipients.
/// </summary>
internal sealed class Dispatcher
{
    private readonly Channel<DispatcherCommand> _inbox;
    private readonly Dictionary<string, List<Subscription>> _subscriptions = new(StringComparer.Ordinal);
    private readonly StatusFilterStage _filters;
    private readonly ILogger _logger;

    public Dispatcher(int index, int inboxCapacity, StatusFilterStage filters, ILogger logger)
    {
        Index = index;
        _inbox = PipelineChannels.CreateDispatcherInbox(inboxCapacity);
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

        List<FilterRecipient>? filtered = null;
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
                connection.Send(Frames.For(streamEvent, subscription, default));
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

            var pending = connection.SendPending(streamEvent.Payload.Length + 64);
            if (pending is not null)
            {
                (filtered ??= []).Add(new FilterRecipient(subscription, pending));
            }
        }

        if (filtered is not null)
        {
            _filters.Start(streamEvent, facts!, filtered);
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
