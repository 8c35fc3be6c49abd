using System.Net.WebSockets;
using AotStreaming.Diagnostics;
using AotStreaming.Protocol;

namespace AotStreaming.Delivery;

/// <summary>
/// A WebSocket client: pre-framed text frames go straight to the upgraded stream, so the runtime WebSocket
/// (<paramref name="socket"/>) only reads, answers pings and closes; close codes by <see cref="DisconnectReason"/>.
/// </summary>
internal sealed class WebSocketClient(WebSocket socket, WebSocketTransportStream stream, AuthenticatedUser user, DeliveryOptions options, StreamingMetrics metrics)
    : ClientConnection(Transport.WebSocket, user, options, metrics, stream.Gate)
{
    // FIN + ping opcode, empty payload: what upstream's ws.ping('') sends.
    private static readonly byte[] s_ping = [0x89, 0x00];

    private WebSocketCloseStatus? _closeStatus;
    private string? _closeDescription;

    // The pong count when the last ping was queued; -1 before the first. Only WebSocketPinger's tick touches it.
    private long _pongsAtLastPing = -1;

    public WebSocket Socket => socket;

    /// <summary>Closes with a specific code and reason (binary frame, oversized message, limits).</summary>
    public void Close(DisconnectReason reason, WebSocketCloseStatus status, string description)
    {
        if (!IsClosing)
        {
            _closeStatus = status;
            _closeDescription = description;
        }

        Close(reason);
    }

    /// <summary>
    /// One liveness tick (upstream's 30 s interval): a client that has not answered the previous tick's ping with a
    /// pong is terminated (no close frame, as ws.terminate()); otherwise it gets a new ping. The ping goes through
    /// the outbox like any frame, so it keeps its place among events and never interleaves with them on the wire.
    /// Answers false when the connection was terminated.
    /// </summary>
    public bool PingOrTerminate()
    {
        if (IsClosing)
        {
            return true;
        }

        var pongs = stream.Pongs.Pongs;
        if (_pongsAtLastPing >= 0 && pongs == _pongsAtLastPing)
        {
            Close(DisconnectReason.PingTimeout);
            return false;
        }

        _pongsAtLastPing = pongs;
        Send(s_ping, isEvent: false);
        return true;
    }

    // The stream's raw writer, kept here once seen: an event frame then goes from this object to the writer without
    // loading the stream object too (a cache miss per recipient of a broadcast). The stream chooses its writer once,
    // before the first write, and only the gate's holder calls WriteFrameAsync, so reading it once is enough.
    private RawSocketWriter? _raw;

    protected override ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken) =>
        (_raw ??= stream.RawWriter) is { } raw ? raw.WriteAsync(frames, cancellationToken) : stream.WriteFrameAsync(frames, cancellationToken);

    protected override void PrefetchTransport(int nearSteps)
    {
        if (_raw is { } raw)
        {
            if (nearSteps == 1)
            {
                CacheLines.Prefetch(raw);
            }
            else
            {
                raw.PrefetchSocket();
            }
        }
    }

    protected override Task CloseTransportAsync(DisconnectReason reason, CancellationToken cancellationToken)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return Task.CompletedTask;
        }

        var (status, description) = _closeStatus is { } explicitStatus
            ? (explicitStatus, _closeDescription)
            : reason switch
            {
                // An empty close frame, as ws.close() sends upstream: clients see 1005 (reference §3.5).
                DisconnectReason.Kill => (WebSocketCloseStatus.Empty, null),
                // 1013 "Try Again Later": the client may reconnect and backfill through REST.
                DisconnectReason.Slow => ((WebSocketCloseStatus)1013, "Client is too slow"),
                DisconnectReason.WriteTimeout => ((WebSocketCloseStatus)1013, "Write timeout"),
                DisconnectReason.Shutdown => (WebSocketCloseStatus.EndpointUnavailable, "Server shutting down"),
                DisconnectReason.Limit => (WebSocketCloseStatus.PolicyViolation, "Limit exceeded"),
                _ => (WebSocketCloseStatus.NormalClosure, (string?)null),
            };

        if (reason == DisconnectReason.PingTimeout || (reason == DisconnectReason.ClientClosed && socket.State == WebSocketState.Open))
        {
            AbortTransport();
            return Task.CompletedTask;
        }

        return socket.CloseOutputAsync(status, description, cancellationToken);
    }

    protected override void AbortTransport() => socket.Abort();
}
