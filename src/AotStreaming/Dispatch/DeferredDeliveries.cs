namespace AotStreaming.Dispatch;

/// <summary>
/// A connection's events that wait behind a status still being filtered, kept in Redis order. Owner: the
/// connection's dispatcher (through its <see cref="DispatchedConnection"/>), touched only on its loop, so it needs
/// no lock. Connections with nothing pending never have one, and their frames go straight to the outbox.
/// </summary>
internal sealed class DeferredDeliveries
{
    private readonly Queue<DeferredItem> _items = new();

    public int Count => _items.Count;

    public void Add(DeferredItem item) => _items.Enqueue(item);

    public void Clear() => _items.Clear();

    /// <summary>The leading items whose content is known, in order; stops at the first unresolved status.</summary>
    public bool TryTakeReady(out DeferredItem item)
    {
        if (_items.TryPeek(out item) && (item.Pending is null || item.Pending.IsResolved))
        {
            _items.Dequeue();
            return true;
        }

        return false;
    }
}

/// <summary>Either a ready frame, or slot <see cref="Index"/> of a <see cref="PendingStatus"/>.</summary>
internal readonly record struct DeferredItem(byte[]? Frame, PendingStatus? Pending, int Index, long ReceivedTimestamp)
{
    /// <summary>The frame (null: filtered out); called once per item, as it leaves the queue.</summary>
    public byte[]? Take() => Frame ?? Pending!.TakeFrame(Index);
}
