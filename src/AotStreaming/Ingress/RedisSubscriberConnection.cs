using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using AotStreaming.Configuration;
using AotStreaming.Diagnostics;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AotStreaming.Ingress;

/// <summary>
/// The one Redis connection in subscriber mode. We speak RESP on it ourselves rather than through
/// StackExchange.Redis because its pub/sub delivery is either concurrent (reorders messages) or one queue per
/// channel (loses the order across channels); reading the socket ourselves hands messages on in exactly Redis'
/// order, and lets the bounded ingress channel decide what happens under overload. StackExchange.Redis still
/// serves the commands between reconnects (presence keys of new streams, their periodic refresh).
/// <para>
/// With Sentinel it only ever subscribes on the current master: the address comes from the sentinels (or their
/// failover announcements, <see cref="SentinelMonitor"/>), and is confirmed with <c>ROLE</c> before any SUBSCRIBE.
/// Every (re)connect first rewrites all <c>subscribed:</c> presence keys on that same connection, so a new master
/// has them before the first event can arrive.
/// </para>
/// </summary>
internal sealed class RedisSubscriberConnection(
    ConfigurationOptions redisOptions,
    RedisCertificateTrust trust,
    SentinelMonitor? sentinel,
    Func<string[]> presenceKeys,
    TimeSpan presenceTtl,
    Action<string, byte[]> onMessage,
    StreamingMetrics metrics,
    ILogger logger) : IAsyncDisposable
{
    /// <summary>The CLIENT SETNAME of this connection, so it is recognisable in CLIENT LIST.</summary>
    public const string ClientName = "aot-streaming-subscriber";

    private static readonly TimeSpan s_pingInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_silenceLimit = TimeSpan.FromSeconds(35);
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_maxRetry = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sent after every large message: a PING whose argument Redis echoes back, so large that its reply does not fit
    /// Redis' 16 KB static reply buffer and goes to the reply list. Only an append to that list makes Redis re-check
    /// the client's output-buffer limits, and only a check with the buffer under the soft limit clears the soft
    /// limit's clock. Without it, a message over the soft limit (8 MB by default) that was read at once still leaves
    /// the clock running, and the next such message, even an hour later, is taken as "over the soft limit for more
    /// than 60 s": Redis closes the subscriber (measured on Redis 7.0.15: a 10 MB message, read in full, then another
    /// 63 s later; redis/redis#3893). The echo is ignored like any other PONG.
    /// </summary>
    private static readonly string[] s_limitCheckPing = ["PING", new string('x', 32 * 1024)];

    private readonly Lock _lock = new();
    private readonly HashSet<string> _wanted = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Channel<string[]>? _commands;
    private Task? _loop;
    private volatile bool _connected;
    private bool _everConnected;
    private bool _lossLogged;
    private int _priorityReported;
    // Guarded by _lock: the endpoint of the current attempt, a master announced by Sentinel for the next one, and
    // the attempt's cancellation (a switch cancels it, whether it is connecting, connected or waiting to retry).
    private EndPoint? _current;
    private EndPoint? _announced;
    private CancellationTokenSource? _attempt;

    /// <summary>Messages larger than this are skipped while they stream in (Ingress:MaxMessageBytes).</summary>
    public int MaxMessageBytes { get; init; } = int.MaxValue;

    /// <summary>The nice value the read thread asks for (Ingress:ReadThreadNice); 0 leaves it alone.</summary>
    public int ReadThreadNice { get; init; }

    /// <summary>Raised on the read loop for each message skipped for its size: channel (with namespace) and bytes.</summary>
    public event Action<string, long>? MessageSkipped;

    public void Start()
    {
        if (sentinel is not null)
        {
            sentinel.MasterAnnounced += OnMasterAnnounced;
            sentinel.Start();
        }

        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public void Subscribe(string channel)
    {
        lock (_lock)
        {
            _wanted.Add(channel);
            _commands?.Writer.TryWrite(["SUBSCRIBE", channel]);
        }
    }

    public void Unsubscribe(string channel)
    {
        lock (_lock)
        {
            _wanted.Remove(channel);
            _commands?.Writer.TryWrite(["UNSUBSCRIBE", channel]);
        }
    }

    /// <summary>Sentinel announced a new master: leave the current one (or stop waiting to retry) and go there now.</summary>
    private void OnMasterAnnounced(EndPoint master, string announcement)
    {
        lock (_lock)
        {
            // Both announcements (promotion probe, +switch-master), from every sentinel, name the same master: act once.
            if (RedisEndPoints.Same(_current, master) || RedisEndPoints.Same(_announced, master))
            {
                return;
            }

            _announced = master;
            _ = _attempt?.CancelAsync();
        }

        // Not receiving from the master from here until the subscription on the new one is confirmed.
        _connected = false;
        metrics.RedisConnected = false;
        logger.SentinelMasterSwitch(sentinel!.ServiceName, RedisEndPoints.Format(master), announcement);
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var backoff = s_firstRetry;
        while (!stop.IsCancellationRequested)
        {
            var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
            lock (_lock)
            {
                _attempt = attempt;
            }

            var switched = false;
            try
            {
                await RunOneConnectionAsync(attempt.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException) when (attempt.IsCancellationRequested)
            {
                // A switch to a new master (logged by OnMasterAnnounced), not a loss.
                switched = true;
            }
            catch (Exception ex)
            {
                // One line at loss (and one at recovery), not one per retry while Redis stays down.
                if (!_lossLogged)
                {
                    _lossLogged = true;
                    logger.RedisSubscriberLost(ex.Message);
                }
            }

            var wasConnected = _connected;
            _connected = false;
            metrics.RedisConnected = false;
            lock (_lock)
            {
                _current = null;
            }

            if (!switched && !stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(backoff, attempt.Token);
                }
                catch (OperationCanceledException)
                {
                    // Stopping, or a new master was announced while waiting: either way, not another wait.
                    switched = !stop.IsCancellationRequested;
                }
            }

            lock (_lock)
            {
                _attempt = null;
            }

            attempt.Dispose();

            // 100 ms doubling to 5 s: quick after a blip or a switch, gentle while Redis is down.
            backoff = wasConnected || switched
                ? s_firstRetry
                : TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, s_maxRetry.TotalMilliseconds));
        }
    }

    private async Task<EndPoint> ChooseEndPointAsync(CancellationToken cancel)
    {
        if (sentinel is null)
        {
            return redisOptions.EndPoints.FirstOrDefault() ?? throw new InvalidOperationException("no Redis endpoint configured");
        }

        EndPoint? announced;
        lock (_lock)
        {
            announced = _announced;
            _announced = null;
        }

        // Never the first configured endpoint: with Sentinel, those are the sentinels.
        return announced
            ?? await sentinel.ResolveMasterAsync(cancel)
            ?? throw new IOException($"no Redis Sentinel answered with the master of {sentinel.ServiceName}");
    }

    private async Task RunOneConnectionAsync(CancellationToken cancel)
    {
        var endPoint = await ChooseEndPointAsync(cancel);
        lock (_lock)
        {
            _current = endPoint;
        }

        var tlsHost = redisOptions.Ssl ? RespLink.TlsHost(endPoint, redisOptions.SslHost) : null;
        await using var link = await RespLink.ConnectAsync(
            endPoint, tlsHost, trust, TimeSpan.FromMilliseconds(redisOptions.ConnectTimeout), cancel);
        using var connectionStop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        await HandshakeAsync(link, connectionStop.Token);

        var commands = Channel.CreateUnbounded<string[]>(new UnboundedChannelOptions { SingleReader = true });
        string[] snapshot;
        lock (_lock)
        {
            _commands?.Writer.TryComplete();
            _commands = commands;
            snapshot = [.. _wanted];
        }

        // Presence keys first (SET is refused once the connection is in subscriber mode), on this very connection:
        // they are on the master the events will come from before the first of them can arrive.
        var keys = presenceKeys();
        var ttl = ((long)presenceTtl.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var key in keys)
        {
            link.Write(["SET", key, "1", "EX", ttl]);
        }

        // Re-subscribe everything in a few large commands: one round-trip after a Redis restart.
        foreach (var chunk in snapshot.Chunk(512))
        {
            link.Write(["SUBSCRIBE", .. chunk]);
        }

        if (snapshot.Length == 0)
        {
            // Subscriber mode only accepts PING after a SUBSCRIBE on old Redis versions; PING works in both modes.
            link.Write(["PING"]);
        }

        await link.FlushAsync(connectionStop.Token);
        var lastRead = Environment.TickCount64;
        var writing = WriteLoopAsync(commands.Reader, link.Writer, () => Volatile.Read(ref lastRead), connectionStop);
        // From here the socket is read on its own thread (SubscriberReadThread says why); these locals are only
        // touched there. Cancelling the connection shuts the socket down, which wakes that thread's blocked read.
        var presenceReplies = keys.Length;
        var presenceFailureLogged = false;
        var announced = false;
        void OnValue(object? value)
        {
            if (presenceReplies > 0)
            {
                presenceReplies--;
                if (value is RespError error && !presenceFailureLogged)
                {
                    presenceFailureLogged = true;
                    logger.PresenceKeyFailed(error.Message);
                }

                return;
            }

            if (!announced)
            {
                // The first reply after the SETs is the first SUBSCRIBE's (or the PING's): receiving from here.
                announced = true;
                OnSubscribed(endPoint, snapshot.Length);
            }

            Handle(value);
            if (IsLargeMessage(value))
            {
                commands.Writer.TryWrite(s_limitCheckPing);
            }
        }

        try
        {
            using var abort = connectionStop.Token.Register(link.Abort);
            await SubscriberReadThread.RunAsync(
                RaiseReadThreadPriority, link.Stream, link.TakeBuffered(), new PubSubMessageReader(MaxMessageBytes), OnValue,
                () => Volatile.Write(ref lastRead, Environment.TickCount64), connectionStop.Token);
        }
        finally
        {
            await connectionStop.CancelAsync();
            try
            {
                await writing;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>On each connection's new read thread; the outcome is logged once per process, it does not change.</summary>
    private void RaiseReadThreadPriority()
    {
        var error = ReadThreadPriority.TryRaise(ReadThreadNice);
        if (ReadThreadNice < 0 && Interlocked.Exchange(ref _priorityReported, 1) == 0)
        {
            if (error == 0)
            {
                logger.ReadThreadPriorityRaised(ReadThreadNice);
            }
            else
            {
                logger.ReadThreadPriorityRefused(ReadThreadNice, ReadThreadPriority.ErrorName(error));
            }
        }
    }

    /// <summary>
    /// AUTH, CLIENT SETNAME, SELECT (the presence keys live in <c>REDIS_DB</c>) and, with Sentinel, ROLE: pipelined,
    /// then each reply checked in order. Nothing is subscribed before ROLE says "master".
    /// </summary>
    private async Task HandshakeAsync(RespLink link, CancellationToken cancel)
    {
        var steps = new List<string>();
        if (redisOptions.Password is { Length: > 0 } password)
        {
            link.Write(redisOptions.User is { Length: > 0 } user ? ["AUTH", user, password] : ["AUTH", password]);
            steps.Add("AUTH");
        }

        link.Write(["CLIENT", "SETNAME", ClientName]);
        steps.Add("SETNAME");
        var database = redisOptions.DefaultDatabase ?? 0;
        if (database != 0)
        {
            link.Write(["SELECT", database.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            steps.Add("SELECT");
        }

        if (sentinel is not null)
        {
            link.Write(["ROLE"]);
            steps.Add("ROLE");
        }

        await link.FlushAsync(cancel);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(redisOptions.ConnectTimeout);
        foreach (var step in steps)
        {
            object? reply;
            try
            {
                reply = await link.ReadReplyAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                throw new TimeoutException($"{RedisEndPoints.Format(link.EndPoint)} did not answer {step} within {redisOptions.ConnectTimeout} ms");
            }

            switch (step)
            {
                case "AUTH" when reply is RespError error:
                    throw new InvalidOperationException("Redis AUTH failed: " + error.Message);
                case "SELECT" when reply is RespError error:
                    throw new InvalidOperationException($"Redis SELECT {database} failed: {error.Message}");
                case "ROLE":
                    var role = reply switch
                    {
                        object?[] { Length: > 0 } items when items[0] is byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
                        RespError error => "error " + error.Message,
                        _ => "unknown",
                    };
                    if (role != "master")
                    {
                        throw new IOException($"{RedisEndPoints.Format(link.EndPoint)} is not the master of {sentinel!.ServiceName} (ROLE: {role})");
                    }

                    break;
            }
        }
    }

    /// <summary>A message (delivered or skipped for its size) large enough to have passed Redis' soft output-buffer limit.</summary>
    private static bool IsLargeMessage(object? value) => value switch
    {
        object?[] { Length: >= 3 } items when items[2] is byte[] payload => payload.Length >= LargeMessageMemory.LargeMessageBytes,
        SkippedMessage => true,
        _ => false,
    };

    private void OnSubscribed(EndPoint endPoint, int channels)
    {
        _connected = true;
        metrics.RedisConnected = true;
        if (_everConnected || _lossLogged)
        {
            logger.RedisSubscriberRecovered(RedisEndPoints.Format(endPoint), channels);
        }
        else
        {
            logger.RedisSubscriberConnected(RedisEndPoints.Format(endPoint), channels);
        }

        _lossLogged = false;
        _everConnected = true;
    }

    private void Handle(object? value)
    {
        if (value is not object?[] { Length: >= 3 } items || items[0] is not byte[] kind)
        {
            if (value is RespError error)
            {
                logger.RedisSubscriberError(error.Message);
            }
            else if (value is SkippedMessage skipped)
            {
                MessageSkipped?.Invoke(System.Text.Encoding.UTF8.GetString(skipped.Channel), skipped.Length);
            }

            return;
        }

        if (kind.AsSpan().SequenceEqual("message"u8) && items[1] is byte[] channel && items[2] is byte[] payload)
        {
            metrics.RedisMessagesReceived.Increment();
            onMessage(System.Text.Encoding.UTF8.GetString(channel), payload);
        }
        else if ((kind.AsSpan().SequenceEqual("subscribe"u8) || kind.AsSpan().SequenceEqual("unsubscribe"u8)) && items[2] is long count)
        {
            metrics.RedisSubscriptions = count;
        }
    }

    private async Task WriteLoopAsync(ChannelReader<string[]> commands, PipeWriter writer, Func<long> lastRead, CancellationTokenSource connection)
    {
        using var ping = new PeriodicTimer(s_pingInterval);
        var pingTick = ping.WaitForNextTickAsync(connection.Token).AsTask();
        // One outstanding wait for commands at a time: it survives ping ticks instead of piling up a new one per tick.
        Task<bool>? next = null;
        while (!connection.IsCancellationRequested)
        {
            next ??= commands.WaitToReadAsync(connection.Token).AsTask();
            if (await Task.WhenAny(next, pingTick) == pingTick)
            {
                if (!await pingTick)
                {
                    return;
                }

                // A half-open TCP connection reads nothing forever: PING and give up after a silence limit.
                if (Environment.TickCount64 - lastRead() > s_silenceLimit.TotalMilliseconds)
                {
                    logger.RedisSubscriberSilent((int)s_silenceLimit.TotalSeconds);
                    await connection.CancelAsync();
                    return;
                }

                RespReader.WriteCommand(writer, ["PING"]);
                await writer.FlushAsync(connection.Token);
                pingTick = ping.WaitForNextTickAsync(connection.Token).AsTask();
                continue;
            }

            var more = await next;
            next = null;
            if (!more)
            {
                return;
            }

            while (commands.TryRead(out var command))
            {
                RespReader.WriteCommand(writer, command);
            }

            await writer.FlushAsync(connection.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        if (sentinel is not null)
        {
            sentinel.MasterAnnounced -= OnMasterAnnounced;
            await sentinel.DisposeAsync();
        }

        _stop.Dispose();
    }
}
