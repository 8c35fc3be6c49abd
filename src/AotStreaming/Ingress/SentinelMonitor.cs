using System.Net;
using System.Text;
using AotStreaming.Configuration;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AotStreaming.Ingress;

/// <summary>
/// The subscriber's view of Redis Sentinel (https://redis.io/docs/latest/develop/reference/sentinel-clients/): asks
/// the sentinels which process is the master (<c>SENTINEL get-master-addr-by-name</c>), and listens on every sentinel
/// for the failover announcements so the subscriber moves as soon as there is a new master.
/// <para>
/// Two announcements are followed. <c>+switch-master</c> is the official one, but Sentinel only publishes it after
/// its next INFO poll of the promoted replica (up to a second after the promotion; 0.9 s measured for both a crash
/// and <c>SENTINEL FAILOVER</c>), and Rails' publishers may already be on the new master by then.
/// <c>+failover-state-wait-promotion</c> comes when the failover leader has sent <c>REPLICAOF NO ONE</c> to the
/// chosen replica: from then on that replica is probed with <c>ROLE</c> every 20 ms, and announced the moment it
/// answers "master". Sentinel has decided on it at that point; the old master, if alive, is demoted by Sentinel
/// shortly after.
/// </para>
/// </summary>
internal sealed class SentinelMonitor(ConfigurationOptions options, ILogger logger) : IAsyncDisposable
{
    /// <summary>The CLIENT SETNAME of the watch connections, so they are recognisable in a sentinel's CLIENT LIST.</summary>
    public const string WatchClientName = "aot-streaming-sentinel";

    private static readonly TimeSpan s_watchPing = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_watchSilenceLimit = TimeSpan.FromSeconds(16);
    private static readonly TimeSpan s_watchRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_probeInterval = TimeSpan.FromMilliseconds(20);
    // Sentinel aborts a promotion that takes longer than its failover-timeout; a replica that answers REPLICAOF NO ONE
    // at all does so in milliseconds, so 10 s is generous.
    private static readonly TimeSpan s_probeLimit = TimeSpan.FromSeconds(10);

    private readonly string _serviceName = options.ServiceName ?? throw new ArgumentException("not a Sentinel configuration");
    private readonly EndPoint[] _sentinels = [.. options.EndPoints];
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly HashSet<string> _probing = new(StringComparer.Ordinal);
    private readonly List<Task> _tasks = [];
    private int _preferred;

    public string ServiceName => _serviceName;

    /// <summary>Raised (on a watch or probe task) with the new master and what announced it.</summary>
    public event Action<EndPoint, string>? MasterAnnounced;

    public void Start()
    {
        foreach (var sentinel in _sentinels)
        {
            _tasks.Add(Task.Run(() => WatchAsync(sentinel, _stop.Token)));
        }
    }

    /// <summary>The master as the first sentinel that answers reports it; null when none does.</summary>
    public async Task<EndPoint?> ResolveMasterAsync(CancellationToken cancel)
    {
        // Start with the sentinel that answered last time (ioredis does the same), so a dead one costs one timeout once.
        var start = Volatile.Read(ref _preferred);
        for (var i = 0; i < _sentinels.Length; i++)
        {
            var index = (start + i) % _sentinels.Length;
            try
            {
                await using var link = await ConnectSentinelAsync(_sentinels[index], cancel);
                var reply = await link.CommandAsync(["SENTINEL", "get-master-addr-by-name", _serviceName], cancel);
                if (reply is object?[] { Length: 2 } address && RedisEndPoints.Parse(Text(address[0]), Text(address[1])) is { } master)
                {
                    Volatile.Write(ref _preferred, index);
                    return master;
                }
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException or InvalidDataException
                && !cancel.IsCancellationRequested)
            {
                logger.SentinelQueryFailed(RedisEndPoints.Format(_sentinels[index]), ex.Message);
            }
        }

        return null;
    }

    private async Task<RespLink> ConnectSentinelAsync(EndPoint sentinel, CancellationToken cancel)
    {
        // A sentinel answers in a millisecond; a dead one must not hold up the others for the full ConnectTimeout.
        var timeout = TimeSpan.FromMilliseconds(Math.Min(options.ConnectTimeout, 2000));
        var link = await RespLink.ConnectAsync(sentinel, tlsHost: null, RedisCertificateTrust.SystemOnly, timeout, cancel);
        try
        {
            if (options.Password is { Length: > 0 } password)
            {
                // REDIS_PASSWORD is sent to the sentinels too (as upstream does without REDIS_SENTINEL_PASSWORD); a sentinel
                // without a password answers with an error, which is fine: its next reply says whether it needs one.
                link.Write(options.User is { Length: > 0 } user ? ["AUTH", user, password] : ["AUTH", password]);
                await link.FlushAsync(cancel);
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                deadline.CancelAfter(timeout);
                await link.ReadReplyAsync(deadline.Token);
            }

            return link;
        }
        catch
        {
            await link.DisposeAsync();
            throw;
        }
    }

    private async Task WatchAsync(EndPoint sentinel, CancellationToken stop)
    {
        var name = RedisEndPoints.Format(sentinel);
        var unreachableLogged = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var link = await ConnectSentinelAsync(sentinel, stop);
                link.Write(["CLIENT", "SETNAME", WatchClientName]);
                link.Write(["SUBSCRIBE", "+switch-master", "+failover-state-wait-promotion"]);
                await link.FlushAsync(stop);
                using var silence = CancellationTokenSource.CreateLinkedTokenSource(stop);
                var pinging = PingAsync(link, silence);
                try
                {
                    while (true)
                    {
                        silence.CancelAfter(s_watchSilenceLimit);
                        var reply = await link.ReadReplyAsync(silence.Token);
                        if (reply is object?[] { Length: 3 } push && Text(push[0]) is { } kind)
                        {
                            if (kind == "subscribe" && push[2] is 2L)
                            {
                                unreachableLogged = false;
                                logger.SentinelWatching(name, _serviceName);
                            }
                            else if (kind == "message")
                            {
                                OnAnnouncement(Text(push[1]), Text(push[2]));
                            }
                        }
                    }
                }
                finally
                {
                    await silence.CancelAsync();
                    await pinging;
                }
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // One line per sentinel until it is back; the others keep watching meanwhile.
                if (!unreachableLogged)
                {
                    unreachableLogged = true;
                    logger.SentinelUnreachable(name, ex.Message);
                }
            }

            try
            {
                await Task.Delay(s_watchRetry, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>A PING every few seconds: the read loop's silence limit then tells a dead sentinel from a quiet one.</summary>
    private static async Task PingAsync(RespLink link, CancellationTokenSource connection)
    {
        using var timer = new PeriodicTimer(s_watchPing);
        try
        {
            while (await timer.WaitForNextTickAsync(connection.Token))
            {
                link.Write(["PING"]);
                await link.FlushAsync(connection.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            await connection.CancelAsync();
        }
    }

    private void OnAnnouncement(string? channel, string? message)
    {
        var words = message?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        switch (channel)
        {
            // "<master name> <old ip> <old port> <new ip> <new port>"
            case "+switch-master" when words.Length >= 5 && words[0] == _serviceName:
                if (RedisEndPoints.Parse(words[3], words[4]) is { } switched)
                {
                    MasterAnnounced?.Invoke(switched, "+switch-master");
                }

                break;
            // "slave <ip>:<port> <ip> <port> @ <master name> <master ip> <master port>"
            case "+failover-state-wait-promotion" when words.Length >= 6 && words[4] == "@" && words[5] == _serviceName:
                if (RedisEndPoints.Parse(words[2], words[3]) is { } candidate)
                {
                    ProbePromotion(candidate);
                }

                break;
        }
    }

    private void ProbePromotion(EndPoint candidate)
    {
        var key = RedisEndPoints.Format(candidate);
        lock (_lock)
        {
            // Every sentinel in a failover publishes nothing but the leader does; one probe per candidate regardless.
            if (!_probing.Add(key))
            {
                return;
            }

            _tasks.RemoveAll(t => t.IsCompleted);
            _tasks.Add(Task.Run(async () =>
            {
                try
                {
                    await ProbeAsync(candidate, _stop.Token);
                }
                finally
                {
                    lock (_lock)
                    {
                        _probing.Remove(key);
                    }
                }
            }));
        }
    }

    private async Task ProbeAsync(EndPoint candidate, CancellationToken stop)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(stop);
        limit.CancelAfter(s_probeLimit);
        while (!limit.IsCancellationRequested)
        {
            try
            {
                // Sentinel sends REPLICAOF NO ONE in a MULTI with CLIENT KILL TYPE normal, so this connection is closed
                // at the very moment of the promotion: connect again and ask once more.
                // Sentinel mode is plain TCP (only REDIS_URL can ask for TLS), as upstream's configuration.
                await using var link = await RespLink.ConnectAsync(candidate, tlsHost: null, RedisCertificateTrust.SystemOnly,
                    TimeSpan.FromMilliseconds(options.ConnectTimeout), limit.Token);
                if (options.Password is { Length: > 0 } password
                    && await link.CommandAsync(options.User is { Length: > 0 } user ? ["AUTH", user, password] : ["AUTH", password], limit.Token) is RespError)
                {
                    return;
                }

                while (true)
                {
                    if (await link.CommandAsync(["ROLE"], limit.Token) is object?[] { Length: > 0 } role && Text(role[0]) == "master")
                    {
                        MasterAnnounced?.Invoke(candidate, "replica promoted by Sentinel");
                        return;
                    }

                    await Task.Delay(s_probeInterval, limit.Token);
                }
            }
            catch (OperationCanceledException)
            {
                // Not promoted within the limit: +switch-master, or the subscriber's own ROLE check, decides.
                return;
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidDataException)
            {
                try
                {
                    await Task.Delay(s_probeInterval, limit.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static string? Text(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string text => text,
        _ => null,
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Task[] tasks;
        lock (_lock)
        {
            tasks = [.. _tasks];
        }

        await Task.WhenAll(tasks);
        _stop.Dispose();
    }
}
