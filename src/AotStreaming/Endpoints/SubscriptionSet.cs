using AotStreaming.Diagnostics;
using AotStreaming.Dispatch;
using AotStreaming.Routing;

namespace AotStreaming.Endpoints;

/// <summary>
/// One connection's subscriptions by key (channel ids joined by ';', as upstream dedups them), and the dispatcher
/// they all live on (assigned round-robin when the set is made). Owner: the connection's own request loop, so it
/// needs no lock; changes reach the dispatcher through its inbox.
/// </summary>
internal sealed class SubscriptionSet(DispatcherPool dispatchers, SubscriptionIndex index, StreamingMetrics metrics)
{
    private readonly Dictionary<string, Subscription> _byKey = new(StringComparer.Ordinal);

    /// <summary>The dispatcher that owns this connection's dispatch state; fixed for the connection's life.</summary>
    public int Dispatcher { get; } = dispatchers.Assign();

    public int Count => _byKey.Count;

    public bool Contains(string key) => _byKey.ContainsKey(key);

    /// <summary>False when the key exists already (a silent no-op for the client).</summary>
    public async ValueTask<bool> AddAsync(Subscription subscription)
    {
        if (!_byKey.TryAdd(subscription.Key, subscription))
        {
            return false;
        }

        await dispatchers.AddAsync(Dispatcher, subscription, index);
        metrics.ChannelSubscribed(subscription.Connection.Transport, subscription.ChannelName, subscription.IsSystem ? 2 : 1);
        return true;
    }

    public async ValueTask<bool> RemoveAsync(string key)
    {
        if (!_byKey.Remove(key, out var subscription))
        {
            return false;
        }

        await dispatchers.RemoveAsync(Dispatcher, subscription, index);
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
