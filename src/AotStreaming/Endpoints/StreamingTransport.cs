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
        return ValueTask.FromResult<IConnectionListener>(new Listener(socket, bound, factory, upgrade, options.NoDelay && endpoint is IPEndPoint, loggerFactory.CreateLogger<StreamingTransport>()));
    }

    /// <summary>One bound socket: an accept loop that sorts connections, and Kestrel's accept queue for those it gets.</summary>
    private sealed class Listener : IConnectionListener
    {
        private readonly Socket _socket;
        private readonly SocketConnectionContextFactory _factory;
        private readonly ConnectionUpgrade _upgrade;
        private readonly bool _noDelay;
        private readonly Channel<ConnectionContext> _forKestrel = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Task _accepting;
        private readonly ILogger _logger;
        private readonly Action<Socket> _toKestrel;
        private readonly Throttle _acceptFailedLog = new(TimeSpan.FromSeconds(10));
        private volatile bool _unbound;

        public Listener(Socket socket, EndPoint endPoint, SocketConnectionContextFactory factory, ConnectionUpgrade upgrade, bool noDelay, ILogger logger)
        {
            _logger = logger;
            _toKestrel = HandToKestrel;
            _socket = socket;
            EndPoint = endPoint;
            _factory = factory;
            _upgrade = upgrade;
            _noDelay = noDelay;
            _accepting = AcceptLoopAsync();
        }

        public EndPoint EndPoint { get; }

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
            _unbound = true;
            _socket.Dispose();
            await _accepting.WaitAsync(cancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            _unbound = true;
            _socket.Dispose();
            await _accepting;
            _factory.Dispose();
        }

        private async Task AcceptLoopAsync()
        {
            while (true)
            {
                Socket accepted;
                try
                {
                    accepted = await _socket.AcceptAsync();
                }
                catch (Exception ex) when (ex is ObjectDisposedException || (ex is SocketException && _unbound))
                {
                    _forKestrel.Writer.TryComplete();
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

                    await Task.Delay(AcceptRetryDelay);
                    continue;
                }

                if (_noDelay)
                {
                    accepted.NoDelay = true;
                }

                _ = _upgrade.ServeAsync(accepted, _toKestrel);
            }
        }

        private void HandToKestrel(Socket accepted)
        {
            var connection = _factory.Create(accepted);
            if (!_forKestrel.Writer.TryWrite(connection))
            {
                // Unbound meanwhile.
                _ = connection.DisposeAsync().AsTask();
            }
        }
    }
}
