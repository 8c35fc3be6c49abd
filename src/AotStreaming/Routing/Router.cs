using AotStreaming.Decoding;
using AotStreaming.Diagnostics;
using AotStreaming.Dispatch;
using AotStreaming.Ingress;
using AotStreaming.Protocol;
using Microsoft.Extensions.Logging;

namespace AotStreaming.Routing;

/// <summary>
/// Stages 2–3: reads the ingress channel in Redis order, decodes each message once, and posts one item per
/// dispatcher that has a subscriber for its channel (not one per connection). A channel with no local subscriber
/// costs one dictionary lookup.
/// </summary>
internal sealed class Router(IEventSource source, SubscriptionIndex index, IDispatcherInboxes dispatchers, StreamingMetrics metrics, ILogger<Router> logger)
{
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var reader = source.Events;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                while (reader.TryRead(out var raw))
                {
                    await RouteAsync(raw);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async ValueTask RouteAsync(RawEvent raw)
    {
        var interested = index.InterestedDispatchers(raw.Channel);
        if (interested is null)
        {
            return;
        }

        var result = EventDecoder.Decode(raw, out var streamEvent);
        if (streamEvent is null)
        {
            if (result == DecodeResult.Malformed)
            {
                metrics.MalformedRedisMessages.Increment();
                logger.MalformedRedisMessage(raw.Channel, raw.Message.Length);
            }

            return;
        }

        var command = DispatcherCommand.Deliver(streamEvent, result == DecodeResult.Deliverable);
        var recipients = 0;
        for (var i = 0; i < interested.Length; i++)
        {
            var count = Volatile.Read(ref interested[i]);
            if (count > 0)
            {
                recipients += count;
                await dispatchers.PostAsync(i, command);
            }
        }

        if (result == DecodeResult.Deliverable)
        {
            metrics.RecipientsPerMessage.Observe(recipients);
            var connected = metrics.ConnectedClients(Transport.WebSocket) + metrics.ConnectedClients(Transport.EventSource);
            metrics.AudienceShare.Observe(connected > 0 ? Math.Min(1.0, (double)recipients / connected) : 0);
        }
    }
}
