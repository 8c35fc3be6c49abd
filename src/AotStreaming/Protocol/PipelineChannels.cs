using System.Threading.Channels;

namespace AotStreaming.Protocol;

/// <summary>
/// Every channel of the pipeline, side by side so their options can be reviewed together. Generic in the item
/// type so this shared folder names no stage: Ingress creates its <c>Channel&lt;RawEvent&gt;</c>, each dispatcher
/// its <c>Channel&lt;DispatcherCommand&gt;</c>.
/// </summary>
internal static class PipelineChannels
{
    // One writer (the Redis read loop) and one reader (the router). TryWrite only: a full queue sheds the new
    // message and counts it, rather than pushing the backlog into Redis' output buffer (which would disconnect us).
    public static Channel<T> CreateIngress<T>(int capacity) =>
        Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
        {
            SingleWriter = true,
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });

    // The router and the endpoints (subscribe, unsubscribe) write; exactly one dispatcher reads. Wait, not drop:
    // losing an item here would lose an event for every connection of the dispatcher, or a subscription change.
    // Slowness of single clients is handled per socket, in the Outbox.
    public static Channel<T> CreateDispatcherInbox<T>(int capacity) =>
        Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
        {
            SingleWriter = false,
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
}
