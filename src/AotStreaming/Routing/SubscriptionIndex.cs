using System.Collections.Concurrent;
using AotStreaming.Ingress;

namespace AotStreaming.Routing;

/// <summary>
/// Which dispatchers have at least one subscriber per Redis channel, plus the process-wide reference count that
/// turns the first listener into SUBSCRIBE and the last into UNSUBSCRIBE (reference §5.8). Changes take a lock on
/// the channel's entry; the router's per-message read is lock-free (volatile reads of the per-dispatcher counts).
/// </summary>
internal sealed class SubscriptionIndex(IEventSource redis, int dispatcherCount)
{
    private readonly ConcurrentDictionary<string, ChannelInterest> _channels = new(StringComparer.Ordinal);

    public int ChannelCount => _channels.Count;

    /// <summary>The per-dispatcher subscriber counts of a channel, or null when nobody here listens.</summary>
    public int[]? InterestedDispatchers(string channel) =>
        _channels.TryGetValue(channel, out var interest) ? interest.PerDispatcher : null;

    public void Acquire(string channel, int dispatcher, bool presence)
    {
        while (true)
        {
            var interest = _channels.GetOrAdd(channel, static _ => new ChannelInterest());
            lock (interest)
            {
                if (interest.Removed)
                {
                    continue;
                }

                interest.PerDispatcher ??= new int[dispatcherCount];
                Interlocked.Increment(ref interest.PerDispatcher[dispatcher]);
                if (interest.Total++ == 0)
                {
                    redis.Subscribe(channel);
                }
            }

            if (presence)
            {
                redis.AcquirePresence(channel);
            }

            return;
        }
    }

    public void Release(string channel, int dispatcher, bool presence)
    {
        if (!_channels.TryGetValue(channel, out var interest))
        {
            return;
        }

        lock (interest)
        {
            Interlocked.Decrement(ref interest.PerDispatcher![dispatcher]);
            if (--interest.Total == 0)
            {
                // UNSUBSCRIBE before the entry leaves the map: a listener arriving now still finds this entry, waits
                // for its lock, sees Removed and makes a new one, so its SUBSCRIBE is always issued after this
                // UNSUBSCRIBE. Removing first let the new entry's SUBSCRIBE overtake it and leave Redis unsubscribed
                // from a channel with a listener (SubscriptionIndexTests.AcquireRelease_ManyThreads...).
                interest.Removed = true;
                redis.Unsubscribe(channel);
                _channels.TryRemove(channel, out _);
            }
        }

        if (presence)
        {
            redis.ReleasePresence(channel);
        }
    }

    private sealed class ChannelInterest
    {
        public int[]? PerDispatcher;
        public int Total;
        public bool Removed;
    }
}
