using AotStreaming.Delivery;
using AotStreaming.Diagnostics;
using AotStreaming.Protocol;
using Microsoft.Extensions.Logging;

namespace AotStreaming.Endpoints;

/// <summary>
/// What every accepted connection does on the way in and out, whatever its transport: the registry (heartbeats,
/// watchdog, shutdown), the <c>connected_clients</c> gauge, the disconnect counter by reason, and one log line.
/// </summary>
internal sealed class ConnectionTracker(ConnectionRegistry registry, StreamingMetrics metrics, ILogger<ConnectionTracker> logger)
{
    public void Opened(ClientConnection connection, string channel)
    {
        registry.Add(connection);
        metrics.ClientConnected(connection.Transport, 1);
        logger.ClientConnected(connection.Id, Label(connection), connection.User.AccountId, channel);
    }

    public void Closed(ClientConnection connection)
    {
        registry.Remove(connection);
        metrics.ClientConnected(connection.Transport, -1);
        metrics.Disconnected(connection.Reason);
        if (connection.Reason is DisconnectReason.Slow or DisconnectReason.WriteTimeout)
        {
            // A normal event for a streaming server, once per connection: Information, never Error.
            logger.ClientDropped(connection.Id, Label(connection), connection.Reason.ToString(), connection.Outbox.Frames, connection.Outbox.Bytes);
        }
        else
        {
            logger.ClientDisconnected(connection.Id, Label(connection), connection.Reason.ToString());
        }
    }

    private static string Label(ClientConnection connection) => connection.Transport == Transport.WebSocket ? "websocket" : "eventsource";
}
