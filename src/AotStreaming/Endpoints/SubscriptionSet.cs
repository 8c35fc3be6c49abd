using AotStreaming.Delivery;
using AotStreaming.Diagnostics;
using AotStreaming.Dispatch;
using AotStreaming.Routing;

namespace AotStreaming.Endpoints;

/// <summary>
/// One connection's subscriptions by key (channel ids joined by ';', as upstream dedups them), and the last step
/// of the subscribe path: the dispatcher's inbox, then the router's <see cref="SubscriptionIndex"/> (which issues
/// Redis SUBSCRIBE for a channel's first listener). Used only by the connection's own request loop, so it needs
/// no lock.
/// </summary>
internal sealed class SubscriptionSet(DispatcherPool dispatchers, SubscriptionIndex index, StreamingMetrics metrics)
{
    private readonly Dictionary<string, Subscription> _byKey = new(StringComparer.Ordinal);

    public int Count => _byKey.Count;

    public bool Contains(string key) => _byKey.ContainsKey(key);

    /// <summary>False when the key exists already (a silent no-op for the client).</summary>
    public async ValueTask<bool> AddAsync(Subscription subscription)
    {
        if (!_byKey.TryAdd(subscription.Key, subscription))
        {
            return false;
        }

        // The dispatcher first, then the router's view: an event routed to the dispatcher finds the subscription.
        await dispatchers.AddAsync(subscription);
        var dispatcher = subscription.Connection.DispatcherIndex;
        foreach (var channel in subscription.RedisChannels)
        {
            index.Acquire(channel, dispatcher, presence: !subscription.IsSystem);
        }

        metrics.ChannelSubscribed(subscription.Connection.Transport, subscription.ChannelName, subscription.IsSystem ? 2 : 1);
        return true;
    }

    public async ValueTask<bool> RemoveAsync(string key)
    {
        if (!_byKey.Remove(key, out var subscription))
        {
            return false;
        }

        // The reverse order: no more events are routed to the dispatcher for it, then the dispatcher forgets it.
        var dispatcher = subscription.Connection.DispatcherIndex;
        foreach (var channel in subscription.RedisChannels)
        {
            index.Release(channel, dispatcher, presence: !subscription.IsSystem);
        }

        await dispatchers.RemoveAsync(subscription);
        metrics.ChannelSubscribed(subscription.Connection.Transport, subscription.ChannelName, subscription.IsSystem ? -2 : -1);
        return true;
    }

    public async ValueTask RemoveAllAsync()
    {
        foreach (var key in _byKey.Keys.ToArray())
        {
            await RemoveAsync(key);
        }
    }
}
