using System.Threading.Channels;

namespace AotStreaming.Ingress;

/// <summary>
/// What the router and the subscription index need from stage 1: the events in Redis order, and the channel
/// subscriptions and presence keys to keep. <see cref="RedisEventSource"/> is the one implementation; the seam lets
/// the pure-logic tests drive <see cref="Routing.Router"/> and <see cref="Routing.SubscriptionIndex"/> without Redis.
/// </summary>
internal interface IEventSource
{
    ChannelReader<RawEvent> Events { get; }

    void Subscribe(string channel);

    void Unsubscribe(string channel);

    void AcquirePresence(string channel);

    void ReleasePresence(string channel);
}
