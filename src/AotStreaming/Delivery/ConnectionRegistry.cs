using System.Collections.Concurrent;

namespace AotStreaming.Delivery;

/// <summary>Every live connection, for heartbeats, shutdown and limits; never touched per message.</summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<long, ClientConnection> _connections = new();

    public int Count => _connections.Count;

    public void Add(ClientConnection connection) => _connections[connection.Id] = connection;

    public void Remove(ClientConnection connection) => _connections.TryRemove(connection.Id, out _);

    public ICollection<ClientConnection> Snapshot() => _connections.Values;

    /// <summary>Total frames and bytes queued across all outboxes (metrics).</summary>
    public (long Frames, long Bytes) QueuedTotals()
    {
        long frames = 0, bytes = 0;
        foreach (var connection in _connections.Values)
        {
            frames += connection.Outbox.Frames;
            bytes += connection.Outbox.Bytes;
        }

        return (frames, bytes);
    }
}
