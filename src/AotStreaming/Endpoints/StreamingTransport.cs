using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using AotStreaming.Diagnostics;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AotStreaming.Endpoints;

/// <summary>
/// Kestrel's transport, with one stage in front of it. Kestrel's socket transport wraps every accepted socket in a
/// connection with two pipes, a receiver, a sender and their loops (about 3 KB), and its HTTP layer adds an HTTP
/// request that never ends for an upgraded one (about 6 KB): most of what an idle WebSocket held. So each accepted
/// socket first goes to <see cref="ConnectionUpgrade"/>, which peeks at its first request: a plain WebSocket upgrade
/// is served on the bare socket; every other connection is handed to Kestrel exactly as accepted (nothing was
/// consumed), through Kestrel's own <see cref="SocketConnectionContextFactory"/>, so HTTP, SSE, health, metrics and
/// unusual handshakes are Kestrel's as before.
/// </summary>
internal sealed class StreamingTransport(
    ConnectionUpgrade upgrade,
    IOptions<SocketTransportOptions> socketOptions,
    ILoggerFactory loggerFactory) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan SettlePollInterval = TimeSpan.FromMilliseconds(5);

    private readonly List<Listener> _listeners = [];

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint or UnixDomainSocketEndPoint or FileHandleEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var options = socketOptions.Value;
        var socket = options.CreateBoundListenSocket(endpoint);
        socket.Listen(options.Backlog);
        var bound = endpoint is IPEndPoint ? socket.LocalEndPoint! : endpoint;
        var factory = new SocketConnectionContextFactory(
            new SocketConnectionFactoryOptions
            {
                IOQueueCount = options.IOQueueCount,
                WaitForDataBeforeAllocatingBuffer = options.WaitForDataBeforeAllocatingBuffer,
                MaxReadBufferSize = options.MaxReadBufferSize,
                MaxWriteBufferSize = options.MaxWriteBufferSize,
                UnsafePreferInlineScheduling = options.UnsafePreferInlineScheduling,
            },
            loggerFactory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        var listener = new Listener(socket, bound, factory, upgrade, options.NoDelay && endpoint is IPEndPoint, loggerFactory.CreateLogger<StreamingTransport>(), Forget);
        lock (_listeners)
        {
            _listeners.Add(listener);
        }

        return ValueTask.FromResult<IConnectionListener>(listener);
    }

    private void Forget(Listener listener)
    {
        lock (_listeners)
        {
            _listeners.Remove(listener);
        }
    }

    /// <summary>
    /// Stops taking connections off every listening socket, hands those still being sorted to Kestrel, and waits
    /// (at most <paramref name="limit"/>) until Kestrel has begun each one's first request. Called when the host starts
    /// stopping, before Kestrel's own shutdown, which closes a connection whose request it has not begun without an
    /// answer. Under socket activation what is still in the backlog stays there for the next process.
    /// </summary>
    public async Task StopAcceptingAsync(TimeSpan limit)
    {
        Listener[] listeners;
        lock (_listeners)
        {
            listeners = [.. _listeners];
        }

        foreach (var listener in listeners)
        {
            listener.StopAccepting();
        }

        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        // Polling a few counters for a moment at shutdown: each connection would otherwise need its own completion.
        while (!Array.TrueForAll(listeners, l => l.Settled) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(SettlePollInterval);
        }
    }

    /// <summary>
    /// One bound socket: an accept loop that sorts connections, and Kestrel's accept queue for those it gets. The loop
    /// accepts eagerly (Kestrel's own listener accepts only when Kestrel asks), so when it stops some accepted sockets
    /// may still be waiting for their request. Under socket activation the client chose us over the backlog the next
    /// process would serve, so none may be dropped: their waits are cancelled, they go to Kestrel, and its queue is
    /// completed only when the last one is decided.
    /// </summary>
    private sealed class Listener : IConnectionListener, IConnectionSorting
    {
        private readonly Socket _socket;
        private readonly SocketConnectionContextFactory _factory;
        private readonly ConnectionUpgrade _upgrade;
        private readonly bool _noDelay;
        private readonly Channel<ConnectionContext> _forKestrel = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Task _accepting;
        private readonly ILogger _logger;
        private readonly Throttle _acceptFailedLog = new(TimeSpan.FromSeconds(10));
        private readonly CancellationTokenSource _stopAccepting = new();
        private readonly Action<Listener> _unbound;

        // Sockets accepted and not yet decided, plus one for the accept loop itself: whoever takes it to zero
        // completes Kestrel's queue (nothing is added once the loop has ended).
        private int _undecided = 1;

        // Connections handed to Kestrel whose first request has not begun (FirstRequestWatch).
        private int _awaitingFirstRequest;

        public Listener(Socket socket, EndPoint endPoint, SocketConnectionContextFactory factory, ConnectionUpgrade upgrade, bool noDelay, ILogger logger, Action<Listener> unbound)
        {
            _logger = logger;
            _socket = socket;
            EndPoint = endPoint;
            _factory = factory;
            _upgrade = upgrade;
            _noDelay = noDelay;
            _unbound = unbound;
            _accepting = AcceptLoopAsync();
        }

        public EndPoint EndPoint { get; }

        public CancellationToken Stopping => _stopAccepting.Token;

        /// <summary>Stopped, and every connection it took is Kestrel's, inside a request, or closed.</summary>
        public bool Settled => Volatile.Read(ref _undecided) == 0 && Volatile.Read(ref _awaitingFirstRequest) == 0;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await _forKestrel.Reader.ReadAsync(cancellationToken);
            }
            catch (ChannelClosedException)
            {
                return null;
            }
        }

        public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            Unbind();
            await _accepting.WaitAsync(cancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            Unbind();
            await _accepting;
            _factory.Dispose();
        }

        public void StopAccepting() => _stopAccepting.Cancel();

        private void Unbind()
        {
            StopAccepting();
            _socket.Dispose();
            _unbound(this);
        }

        public void ToKestrel(Socket socket)
        {
            var connection = _factory.Create(socket);
            Interlocked.Increment(ref _awaitingFirstRequest);
            var watch = new FirstRequestWatch(this);
            connection.Features.Set(watch);
            watch.WatchClose(connection.ConnectionClosed);
            if (!_forKestrel.Writer.TryWrite(connection))
            {
                // Kestrel stopped reading before its queue was complete (disposed without an unbind).
                watch.Ended();
                _ = connection.DisposeAsync().AsTask();
            }

            Kept();
        }

        public void Kept()
        {
            if (Interlocked.Decrement(ref _undecided) == 0)
            {
                _forKestrel.Writer.TryComplete();
            }
        }

        public void FirstRequestEnded() => Interlocked.Decrement(ref _awaitingFirstRequest);

        private async Task AcceptLoopAsync()
        {
            var stopping = _stopAccepting.Token;
            while (true)
            {
                Socket accepted;
                try
                {
                    accepted = await _socket.AcceptAsync(stopping);
                }
                catch (Exception ex) when (ex is ObjectDisposedException || stopping.IsCancellationRequested)
                {
                    Kept();
                    return;
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
                {
                    // The peer gave up while queued: the next one.
                    continue;
                }
                catch (SocketException ex)
                {
                    // Out of file descriptors (EMFILE) or kernel memory: the queued connections wait in the backlog.
                    // Try again shortly, for as long as we are bound; stopping here would leave a server that
                    // answers nothing while looking healthy to systemd.
                    if (_acceptFailedLog.TryPass())
                    {
                        _logger.AcceptFailed(ex.SocketErrorCode.ToString(), ex.Message);
                    }

                    await Task.Delay(AcceptRetryDelay, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    continue;
                }

                if (_noDelay)
                {
                    accepted.NoDelay = true;
                }

                Interlocked.Increment(ref _undecided);
                _ = _upgrade.ServeAsync(accepted, this);
            }
        }
    }
}
