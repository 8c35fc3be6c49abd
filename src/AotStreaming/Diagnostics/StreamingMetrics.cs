using AotStreaming.Protocol;

namespace AotStreaming.Diagnostics;

/// <summary>
/// Every number /metrics exposes. Upstream's series (reference §9) keep their exact names; ours are prefixed
/// <c>aot_streaming_</c>. Updates are single interlocked operations so the hot path stays lock-free.
/// </summary>
internal sealed class StreamingMetrics
{
    /// <summary>The 13 channel label values upstream primes (reference §9).</summary>
    public static readonly string[] ChannelNames =
    [
        "system", "user", "user:notification", "list", "direct", "public", "public:media", "public:local",
        "public:local:media", "public:remote", "public:remote:media", "hashtag", "hashtag:local",
    ];

    private readonly long[] _connectedClients = new long[2];
    private readonly long[,] _connectedChannels = new long[2, ChannelNames.Length];
    // One cell per transport, striped: counted once per delivery.
    private readonly StripedCells _messagesSent = new(2);
    private readonly long[] _disconnects = new long[Enum.GetValues<DisconnectReason>().Length];
    private long _redisSubscriptions;
    private int _redisConnected;
    private long _connectQueriesWaiting;

    public Counter RedisMessagesReceived { get; } = new();

    public Counter IngressDropped { get; } = new();

    public Counter MalformedRedisMessages { get; } = new();

    public Counter OversizedRedisMessages { get; } = new();

    public Counter RejectedConnections { get; } = new();

    public Counter RejectedSubscriptions { get; } = new();

    public Counter FilterQueries { get; } = new();

    public Counter FilterQueryFailures { get; } = new();

    public long RedisSubscriptions
    {
        get => Interlocked.Read(ref _redisSubscriptions);
        set => Interlocked.Exchange(ref _redisSubscriptions, value);
    }

    /// <summary>Token, list and settings queries waiting for their share of the pool (ConnectQueryGate).</summary>
    public long ConnectQueriesWaitingCount => Interlocked.Read(ref _connectQueriesWaiting);

    public void ConnectQueriesWaiting(int delta) => Interlocked.Add(ref _connectQueriesWaiting, delta);

    public bool RedisConnected
    {
        get => Volatile.Read(ref _redisConnected) != 0;
        set => Volatile.Write(ref _redisConnected, value ? 1 : 0);
    }

    public void ClientConnected(Transport transport, int delta) => Interlocked.Add(ref _connectedClients[(int)transport], delta);

    public long ConnectedClients(Transport transport) => Interlocked.Read(ref _connectedClients[(int)transport]);

    public void ChannelSubscribed(Transport transport, string channelName, int delta)
    {
        var index = Array.IndexOf(ChannelNames, channelName);
        if (index >= 0)
        {
            Interlocked.Add(ref _connectedChannels[(int)transport, index], delta);
        }
    }

    public long ConnectedChannels(Transport transport, int channelIndex) => Interlocked.Read(ref _connectedChannels[(int)transport, channelIndex]);

    public void CountSent(Transport transport) => _messagesSent.Add(_messagesSent.CurrentStripe, (int)transport, 1);

    public long MessagesSent(Transport transport) => _messagesSent.Sum((int)transport);

    public void Disconnected(DisconnectReason reason) => Interlocked.Increment(ref _disconnects[(int)reason]);

    public long Disconnects(DisconnectReason reason) => Interlocked.Read(ref _disconnects[(int)reason]);

    private static readonly double[] s_latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Subscriptions a message was routed to (before filtering).</summary>
    public Histogram RecipientsPerMessage { get; } = new([0, 1, 10, 100, 1_000, 10_000, 100_000]);

    /// <summary>Recipients of a message as a share of all connected clients.</summary>
    public Histogram AudienceShare { get; } = new([0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 1]);

    /// <summary>Redis receipt → a dispatcher finished enqueueing the message for all its recipients.</summary>
    public Histogram RedisToEnqueue { get; } = new(s_latencyBuckets);

    /// <summary>Redis receipt → the frame was written to one client's socket.</summary>
    public Histogram RedisToSocketWrite { get; } = new(s_latencyBuckets);

    public Histogram QueryDuration { get; } = new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
}
