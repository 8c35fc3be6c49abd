using Microsoft.Extensions.Options;

namespace AotStreaming.Delivery;

/// <summary>
/// Upstream's WebSocket liveness rule (reference §3.5): one global timer every
/// <see cref="DeliveryOptions.WebSocketPingSeconds"/>; at each tick a socket that has not answered the previous
/// tick's ping is terminated, and every other socket is pinged. So a client is pinged within one interval of
/// connecting and a dead peer is dropped one to two intervals after its last pong.
/// <para>
/// Why not the runtime's KeepAliveInterval/KeepAliveTimeout: it pings only after an interval without received
/// data and checks on a coarse heartbeat (a quarter of the interval), so at 30 s the first ping came after 31-38 s,
/// the next only 30 s after the pong, and a silent peer lived past 66 s. Pongs are counted on the wire by
/// <see cref="PongCounter"/>, whatever path our own frames take to the socket.
/// </para>
/// </summary>
internal sealed class WebSocketPinger(ConnectionRegistry registry, IOptions<DeliveryOptions> options, TimeProvider time) : IAsyncDisposable
{
    private ITimer? _timer;
    private int _ticking;

    public void Start()
    {
        var interval = TimeSpan.FromSeconds(options.Value.WebSocketPingSeconds);
        _timer = time.CreateTimer(_ => Tick(), null, interval, interval);
    }

    private void Tick()
    {
        // A tick that overran the interval (thousands of sockets on a starved machine) is not run twice at once:
        // the per-socket state is the tick's alone.
        if (Interlocked.Exchange(ref _ticking, 1) != 0)
        {
            return;
        }

        try
        {
            foreach (var connection in registry.Snapshot())
            {
                if (connection is WebSocketClient socket)
                {
                    socket.PingOrTerminate();
                }
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    public ValueTask DisposeAsync() => _timer?.DisposeAsync() ?? ValueTask.CompletedTask;
}
