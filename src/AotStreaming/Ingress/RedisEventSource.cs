using System.Diagnostics;
using System.Threading.Channels;
using AotStreaming.Configuration;
using AotStreaming.Diagnostics;
using AotStreaming.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AotStreaming.Ingress;

/// <summary>
/// Stage 1: Redis pub/sub into one bounded channel, in Redis order. Also keeps the <c>subscribed:</c> presence keys
/// (reference §5.6) that make Rails publish home, list and notification events at all.
/// </summary>
internal sealed class RedisEventSource : IEventSource, IAsyncDisposable
{
    private readonly RedisNamespace _namespace;
    private readonly ConnectionMultiplexer _commands;
    private readonly RedisSubscriberConnection _subscriber;
    private readonly Channel<RawEvent> _events;
    private readonly StreamingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _presenceLock = new();
    private readonly Dictionary<string, int> _presence = new(StringComparer.Ordinal);
    private readonly Timer _presenceTimer;
    private readonly TimeSpan _presenceTtl;
    private readonly Throttle _shedWarning = new(TimeSpan.FromSeconds(10));
    private int _disposed;
    private readonly Throttle _oversizedWarning = new(TimeSpan.FromMinutes(1));
    private readonly LargeMessageMemory _largeMessageMemory = new();

    public RedisEventSource(
        MastodonSettings settings,
        IngressSizes sizes,
        IOptions<IngressOptions> ingressOptions,
        StreamingMetrics metrics,
        ILogger<RedisEventSource> logger)
    {
        _namespace = new RedisNamespace(settings.RedisNamespace);
        _metrics = metrics;
        _logger = logger;
        _events = PipelineChannels.CreateIngress<RawEvent>(sizes.Capacity);
        _presenceTtl = sizes.PresenceKeyTtl;
        // The command connection; kept in a field for the process lifetime (a multiplexer only referenced from a
        // local can be collected, silently dropping its connection: native-aot-notes pitfall 6).
        _commands = ConnectionMultiplexer.Connect(settings.Redis.Clone());
        var sentinel = settings.Redis.ServiceName is null ? null : new SentinelMonitor(settings.Redis, logger);
        if (sentinel is not null)
        {
            RaiseThreadPoolFloor();
        }

        _subscriber = new RedisSubscriberConnection(
            settings.Redis, settings.RedisTrust, sentinel, PresenceKeys, _presenceTtl, OnMessage, metrics, logger)
        {
            MaxMessageBytes = ingressOptions.Value.MaxMessageBytes,
            ReadThreadNice = ingressOptions.Value.ReadThreadNice,
        };
        _subscriber.MessageSkipped += OnOversizedMessage;
        _presenceTimer = new Timer(_ => RefreshAllPresenceKeys(), null, Timeout.Infinite, Timeout.Infinite);
        _presenceTimer.Change(sizes.PresenceKeyRefresh, sizes.PresenceKeyRefresh);
    }

    public ChannelReader<RawEvent> Events => _events.Reader;

    /// <summary>
    /// StackExchange.Redis' Sentinel support blocks thread-pool threads while it looks for a new master (synchronous
    /// waits in its switch code, run every second while the master is unreachable). The pool starts with one thread
    /// per core and adds about one a second beyond that, so on a 2-core machine the subscriber's own switch could
    /// wait a second behind them (seen in the failover tests under load). 16 threads cover those waits; the pool
    /// still only grows when work is queued (StackExchange.Redis docs, Timeouts: "ThreadPool growth").
    /// </summary>
    private static void RaiseThreadPoolFloor()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), completionPorts);
    }

    public void Start() => _subscriber.Start();

    public void Subscribe(string channel) => _subscriber.Subscribe(_namespace.Apply(channel));

    public void Unsubscribe(string channel) => _subscriber.Unsubscribe(_namespace.Apply(channel));

    /// <summary>Starts announcing a channel to Rails; the first holder sets the key at once.</summary>
    public void AcquirePresence(string channel)
    {
        bool first;
        lock (_presenceLock)
        {
            _presence.TryGetValue(channel, out var count);
            _presence[channel] = count + 1;
            first = count == 0;
        }

        if (first)
        {
            SetPresenceKey(channel);
        }
    }

    /// <summary>The key is not deleted when the last holder leaves: it expires on its own, as upstream.</summary>
    public void ReleasePresence(string channel)
    {
        lock (_presenceLock)
        {
            if (_presence.TryGetValue(channel, out var count))
            {
                if (count <= 1)
                {
                    _presence.Remove(channel);
                }
                else
                {
                    _presence[channel] = count - 1;
                }
            }
        }
    }

    /// <summary>Every key to rewrite when the subscriber (re)connects, namespace applied.</summary>
    private string[] PresenceKeys()
    {
        lock (_presenceLock)
        {
            return [.. _presence.Keys.Select(channel => _namespace.Apply(RedisChannelNames.PresenceKey(channel)))];
        }
    }

    private void RefreshAllPresenceKeys()
    {
        string[] channels;
        lock (_presenceLock)
        {
            channels = [.. _presence.Keys];
        }

        foreach (var channel in channels)
        {
            SetPresenceKey(channel);
        }
    }

    private void SetPresenceKey(string channel)
    {
        try
        {
            var key = _namespace.Apply(RedisChannelNames.PresenceKey(channel));
            _commands.GetDatabase().StringSet(key, "1", _presenceTtl, flags: CommandFlags.FireAndForget);
        }
        catch (RedisException ex)
        {
            _logger.PresenceKeyFailed(ex.Message);
        }
    }

    /// <summary>On the read loop: counted, and logged at most once a minute however many arrive.</summary>
    private void OnOversizedMessage(string channel, long length)
    {
        _metrics.OversizedRedisMessages.Increment();
        if (_oversizedWarning.TryPass())
        {
            _logger.OversizedMessageSkipped(channel, length, _metrics.OversizedRedisMessages.Value);
        }
    }

    /// <summary>Runs on the subscriber's read loop: only a TryWrite, never a wait.</summary>
    private void OnMessage(string channel, byte[] message)
    {
        _largeMessageMemory.Observe(message.Length);
        var name = _namespace.Strip(channel);
        if (name is null)
        {
            return;
        }

        if (!_events.Writer.TryWrite(new RawEvent(name, message, Stopwatch.GetTimestamp())))
        {
            // Shed here, counted: the ingress queue only fills when dispatch cannot keep up for
            // IngressCapacity messages in a row; blocking would push the backlog into Redis' output buffer instead.
            _metrics.IngressDropped.Increment();
            if (_shedWarning.TryPass())
            {
                _logger.IngressFull(_metrics.IngressDropped.Value);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The container disposes this once per registration (itself and IEventSource share the instance).
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _presenceTimer.DisposeAsync();
        _largeMessageMemory.Dispose();
        await _subscriber.DisposeAsync();
        _events.Writer.TryComplete();
        await _commands.CloseAsync();
        _commands.Dispose();
    }
}
