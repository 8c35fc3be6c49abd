using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using AotStreaming.Diagnostics;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AotStreaming.Ingress;

/// <summary>
/// The one Redis connection in subscriber mode. We speak RESP on it ourselves rather than through
/// StackExchange.Redis because its pub/sub delivery is either concurrent (reorders messages) or one queue per
/// channel (loses the order across channels); reading the socket ourselves hands messages on in exactly Redis'
/// order, and lets the bounded ingress channel decide what happens under overload. StackExchange.Redis still
/// serves every command (presence keys) and resolves the Sentinel master for us.
/// </summary>
internal sealed class RedisSubscriberConnection(
    ConfigurationOptions redisOptions,
    Func<EndPoint?> masterEndPoint,
    Action<string, byte[]> onMessage,
    StreamingMetrics metrics,
    ILogger logger) : IAsyncDisposable
{
    private static readonly TimeSpan s_pingInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_silenceLimit = TimeSpan.FromSeconds(35);

    private readonly Lock _lock = new();
    private readonly HashSet<string> _wanted = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Channel<string[]>? _commands;
    private Task? _loop;
    private volatile bool _connected;
    private bool _everConnected;
    private bool _lossLogged;

    /// <summary>Raised (on the connection loop) after every successful (re)connect and re-subscribe.</summary>
    public event Action? Connected;

    /// <summary>Messages larger than this are skipped while they stream in (Ingress:MaxMessageBytes).</summary>
    public int MaxMessageBytes { get; init; } = int.MaxValue;

    /// <summary>Raised on the read loop for each message skipped for its size: channel (with namespace) and bytes.</summary>
    public event Action<string, long>? MessageSkipped;

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

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

    private async Task RunAsync(CancellationToken stop)
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await RunOneConnectionAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
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
            try
            {
                await Task.Delay(backoff, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            // 100 ms doubling to 5 s: quick after a blip, gentle while Redis is down.
            backoff = wasConnected
                ? TimeSpan.FromMilliseconds(100)
                : TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 5000));
        }
    }

    private async Task RunOneConnectionAsync(CancellationToken stop)
    {
        using var connectionStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var (socket, stream) = await ConnectAsync(connectionStop.Token);
        using var socketLifetime = socket;
        await using var streamLifetime = stream;
        var commands = Channel.CreateUnbounded<string[]>(new UnboundedChannelOptions { SingleReader = true });
        var writer = PipeWriter.Create(stream);
        // 1 MiB reads: a large message drains the socket in a few dozen reads instead of hundreds (Redis closes a
        // subscriber whose output buffer passes 32 MB); idle, the pipe returns its buffer to the pool.
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1024 * 1024, minimumReadSize: 64 * 1024));
        var messages = new PubSubMessageReader(MaxMessageBytes);

        if (redisOptions.Password is { Length: > 0 } password)
        {
            RespReader.WriteCommand(writer, redisOptions.User is { Length: > 0 } user ? ["AUTH", user, password] : ["AUTH", password]);
        }

        string[] snapshot;
        lock (_lock)
        {
            _commands?.Writer.TryComplete();
            _commands = commands;
            snapshot = [.. _wanted];
        }

        // Re-subscribe everything in a few large commands: one round-trip after a Redis restart.
        foreach (var chunk in snapshot.Chunk(512))
        {
            RespReader.WriteCommand(writer, ["SUBSCRIBE", .. chunk]);
        }

        if (snapshot.Length == 0)
        {
            // Subscriber mode only accepts PING after a SUBSCRIBE on old Redis versions; PING works in both modes.
            RespReader.WriteCommand(writer, ["PING"]);
        }

        await writer.FlushAsync(connectionStop.Token);
        var lastRead = Environment.TickCount64;
        var writing = WriteLoopAsync(commands.Reader, writer, () => lastRead, connectionStop);
        try
        {
            var authenticated = redisOptions.Password is not { Length: > 0 };
            var announced = false;
            while (true)
            {
                var result = await reader.ReadAsync(connectionStop.Token);
                lastRead = Environment.TickCount64;
                var buffer = result.Buffer;
                var sequence = new SequenceReader<byte>(buffer);
                while (true)
                {
                    if (!messages.TryRead(ref sequence, out var value))
                    {
                        buffer = buffer.Slice(sequence.Position);
                        break;
                    }

                    if (!authenticated)
                    {
                        authenticated = value is string;
                        if (value is RespError authError)
                        {
                            throw new InvalidOperationException("Redis AUTH failed: " + authError.Message);
                        }

                        continue;
                    }

                    if (!announced)
                    {
                        announced = true;
                        _connected = true;
                        metrics.RedisConnected = true;
                        if (_everConnected || _lossLogged)
                        {
                            logger.RedisSubscriberRecovered(snapshot.Length);
                        }

                        _lossLogged = false;

                        _everConnected = true;
                        Connected?.Invoke();
                    }

                    Handle(value);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    throw new IOException("Redis closed the subscriber connection");
                }
            }
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

    private async Task<(Socket Socket, Stream Stream)> ConnectAsync(CancellationToken cancel)
    {
        var endPoint = masterEndPoint() ?? redisOptions.EndPoints.FirstOrDefault()
            ?? throw new InvalidOperationException("no Redis endpoint configured");
        Socket socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        // A burst larger than Redis' pubsub output limit (client-output-buffer-limit pubsub, 32 MB hard by default)
        // gets this connection closed by Redis; a large kernel buffer absorbs bursts while the read loop catches up.
        socket.ReceiveBufferSize = 8 * 1024 * 1024;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(redisOptions.ConnectTimeout);
            await socket.ConnectAsync(endPoint, timeout.Token);
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (redisOptions.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                var host = endPoint is DnsEndPoint dns ? dns.Host : redisOptions.SslHost ?? "";
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, timeout.Token);
                stream = ssl;
            }

            return (socket, stream);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }
}
