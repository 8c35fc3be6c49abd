
namespace AotStreaming.Delivery;

/// <summary>
/// One resolved subscription of one connection: its Redis channels, the stream array its frames carry, and the
/// filtering decided at subscribe time (reference §5.1, §6.4).
/// </summary>
internal sealed class Subscription
{
    public required ClientConnection Connection { get; init; }

    /// <summary>The stream name as in metrics (<c>public:local</c>, <c>hashtag</c>, <c>system</c>, ...).</summary>
    public required string ChannelName { get; init; }

    /// <summary>Redis channel ids, un-namespaced.</summary>
    public required string[] RedisChannels { get; init; }

    /// <summary>Deduplication key: the channel ids joined by ';', as upstream.</summary>
    public string Key => string.Join(';', RedisChannels);

    /// <summary>The JSON array every frame of this subscription carries, e.g. <c>["hashtag","Foo"]</c>.</summary>
    public required byte[] StreamArray { get; init; }

    /// <summary>Public and hashtag channels: statuses go through the filters of §6.3.</summary>
    public bool NeedsFiltering { get; init; }

    /// <summary>Feed access disabled for local statuses (§6.4).</summary>
    public bool FilterLocal { get; init; }

    /// <summary>Feed access disabled for remote statuses (§6.4).</summary>
    public bool FilterRemote { get; init; }

    /// <summary>The two system channels: <c>kill</c> and <c>filters_changed</c>, nothing forwarded.</summary>
    public bool IsSystem { get; init; }
}
