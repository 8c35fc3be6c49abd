using System.Threading.Channels;

namespace AotStreaming.Delivery;

/// <summary>
/// One socket's queue of frames, bounded by count and by bytes. Writers (dispatchers, the connection's own reader)
/// only ever call <see cref="TryEnqueue"/>: a false answer means the client is slow and gets closed, so one socket
/// can never hold up a broadcast (the slow-consumer policy of the README lives here and only here).
/// </summary>
internal sealed class Outbox(int maxFrames, long maxBytes)
{
    public int Capacity => maxFrames;

    private readonly Channel<OutboxItem> _items = Channel.CreateUnbounded<OutboxItem>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });

    private int _frames;
    private long _bytes;

    public int Frames => Volatile.Read(ref _frames);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>False when full (or completed): the caller closes the connection as slow.</summary>
    public bool TryEnqueue(byte[] frame, bool isEvent = true, long receivedTimestamp = 0) => TryEnqueue(new OutboxItem(frame, frame.Length, isEvent, receivedTimestamp));

    private bool TryEnqueue(OutboxItem item)
    {
        // Counts are checked before the write; concurrent writers may overshoot by one frame each, which is harmless.
        if (Volatile.Read(ref _frames) >= maxFrames || (maxBytes > 0 && Interlocked.Read(ref _bytes) + item.Bytes > maxBytes && _frames > 0))
        {
            return false;
        }

        Interlocked.Increment(ref _frames);
        Interlocked.Add(ref _bytes, item.Bytes);
        if (!_items.Writer.TryWrite(item))
        {
            Interlocked.Decrement(ref _frames);
            Interlocked.Add(ref _bytes, -item.Bytes);
            return false;
        }

        return true;
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _items.Reader.WaitToReadAsync(cancellationToken);

    public bool TryDequeue(out OutboxItem item)
    {
        if (!_items.Reader.TryRead(out item))
        {
            return false;
        }

        Interlocked.Decrement(ref _frames);
        Interlocked.Add(ref _bytes, -item.Bytes);
        return true;
    }

    /// <summary>Stops accepting frames; the writer loop drains nothing more and closes the transport.</summary>
    public void Complete() => _items.Writer.TryComplete();
}

/// <param name="IsEvent">Counted in <c>messages_sent_total</c>; heartbeats and error frames are not, as upstream.</param>
/// <param name="ReceivedTimestamp">When the event came off the Redis socket (Stopwatch ticks), for the end-to-end histogram.</param>
internal readonly record struct OutboxItem(byte[] Frame, int Bytes, bool IsEvent, long ReceivedTimestamp);
