using System.Collections.Concurrent;

namespace AotStreaming.Delivery;

/// <summary>
/// One socket's queue of frames, bounded by count and by bytes. Writers (dispatchers, the connection's own reader)
/// only ever call <see cref="TryEnqueue"/>: a false answer means the client is slow and gets closed, so one socket
/// can never hold up a broadcast (the slow-consumer policy of the README lives here and only here). Frames wait here
/// only while the socket is busy; <see cref="ClientConnection"/> writes straight through when it is idle.
/// </summary>
internal sealed class Outbox(int maxFrames, long maxBytes)
{
    // Created by the first frame that has to wait: most sockets keep up and never queue one (their frames go
    // straight out, ClientConnection.Send), and an empty ConcurrentQueue already holds a 32-slot segment (1.3 KB).
    private ConcurrentQueue<OutboxItem>? _items;

    // The writer's look-ahead (see TryPeekBytes), touched only by the single dequeuer. Not ConcurrentQueue.TryPeek:
    // a peek marks the queue's segment as observed, after which dequeued slots are no longer cleared, so every
    // outbox kept its last written frames (up to a segment of 32) alive. Measured: two 20 MB frames still on the
    // large object heap after the compacting collection, until later traffic overwrote the slots (issue 10 item 6).
    private OutboxItem _next;
    private volatile bool _hasNext;
    private int _frames;
    private long _bytes;
    private long _charged;
    private volatile bool _completed;

    public int Capacity => maxFrames;

    public int Frames => Volatile.Read(ref _frames);

    public long Bytes => Interlocked.Read(ref _bytes);

    public bool IsEmpty => !_hasNext && (Volatile.Read(ref _items) is not { } items || items.IsEmpty);

    /// <summary>False when full (or completed): the caller closes the connection as slow.</summary>
    public bool TryEnqueue(byte[] frame, bool isEvent = true, long receivedTimestamp = 0) => TryEnqueue(new OutboxItem(frame, frame.Length, isEvent, receivedTimestamp));

    private bool TryEnqueue(OutboxItem item)
    {
        // Counts are checked before the write; concurrent writers may overshoot by one frame each, which is harmless.
        if (_completed || Volatile.Read(ref _frames) >= maxFrames || !HasRoomFor(item.Bytes))
        {
            return false;
        }

        // Counted before the item is visible, so a reader that sees the item also sees it counted.
        Interlocked.Add(ref _bytes, item.Bytes);
        Interlocked.Add(ref _charged, Charge(item.Bytes));
        Interlocked.Increment(ref _frames);
        var items = Volatile.Read(ref _items) ?? Interlocked.CompareExchange(ref _items, new ConcurrentQueue<OutboxItem>(), null) ?? _items!;
        items.Enqueue(item);
        return true;
    }

    /// <summary>
    /// What a frame counts against the byte bound: its size, but at most a quarter of the bound. The bound limits
    /// backlog, not the size of one event (issue 10 item 6: three 20 MB statuses back to back dropped every reading
    /// client, and so did a heartbeat queued behind one). A large frame thus always fits into an empty outbox; while a
    /// reading client is sent the first of three back-to-back large frames (it left the queue), the other two plus
    /// a heartbeat or ping still fit, which with half the bound they did not. A slow client still holds at most four
    /// large frames (three plus small ones up to a quarter of the bound), and large frames are shared with every
    /// other recipient, not copies.
    /// </summary>
    private long Charge(int frameBytes) => maxBytes > 0 ? Math.Min(frameBytes, Math.Max(1, maxBytes / 4)) : 0;

    private bool HasRoomFor(int frameBytes) =>
        maxBytes <= 0 || Interlocked.Read(ref _charged) + Charge(frameBytes) <= maxBytes;

    /// <summary>The size of the next frame, for the writer that is batching (the only one that dequeues).</summary>
    /// <remarks>Takes the frame off the queue into the look-ahead; it is still counted until <see cref="TryDequeue"/>.</remarks>
    public bool TryPeekBytes(out int bytes)
    {
        if (!_hasNext)
        {
            if (Volatile.Read(ref _items) is not { } items || !items.TryDequeue(out _next))
            {
                bytes = 0;
                return false;
            }

            _hasNext = true;
        }

        bytes = _next.Bytes;
        return true;
    }

    /// <summary>The next frame, for the one writer (the socket's gate holder).</summary>
    public bool TryDequeue(out OutboxItem item)
    {
        item = default;
        if (_hasNext)
        {
            item = _next;
            _next = default;
            _hasNext = false;
        }
        else if (Volatile.Read(ref _items) is not { } items || !items.TryDequeue(out item))
        {
            return false;
        }

        Interlocked.Decrement(ref _frames);
        Interlocked.Add(ref _bytes, -item.Bytes);
        Interlocked.Add(ref _charged, -Charge(item.Bytes));
        return true;
    }

    /// <summary>Stops accepting frames; the connection writes nothing more and closes the transport.</summary>
    public void Complete() => _completed = true;
}

/// <param name="IsEvent">Counted in <c>messages_sent_total</c>; heartbeats and error frames are not, as upstream.</param>
/// <param name="ReceivedTimestamp">When the event came off the Redis socket (Stopwatch ticks), for the end-to-end histogram.</param>
internal readonly record struct OutboxItem(byte[] Frame, int Bytes, bool IsEvent, long ReceivedTimestamp);
