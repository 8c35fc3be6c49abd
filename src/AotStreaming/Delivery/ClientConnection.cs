using System.Buffers;
using System.Diagnostics;
using AotStreaming.Diagnostics;
using AotStreaming.Protocol;

namespace AotStreaming.Delivery;

/// <summary>
/// One client (WebSocket or SSE): its outbox, its socket's write gate and the writer loop. Whoever queues a frame
/// (a dispatcher, the SSE heartbeat, the reader's error frames) writes it straight to the socket on its own thread
/// when the socket is free and takes the bytes without waiting, which is the normal case: no thread hop and no
/// second copy per delivery. The first write that would wait is handed to the writer loop, which owns the socket
/// until the outbox is empty again; meanwhile frames wait in the outbox, and a full outbox drops the client as slow.
/// So a slow socket costs only its own writer loop and never holds up a broadcast.
/// Owner: Delivery owns the socket, the outbox and the writer state here; dispatch and filter state of the
/// connection lives with its dispatcher (<c>Dispatch.DispatchedConnection</c>), not here.
/// </summary>
internal abstract class ClientConnection
{
    /// <summary>
    /// The most bytes one write (and one flush) of the writer loop carries when several frames are queued: the
    /// transport's own per-socket buffer (<see cref="DeliveryOptions.ResponseBufferBytes"/>), since a larger write only
    /// waits longer. 64 KiB batches, tried first, raised p99 and peak RSS with 10% stalled clients.
    /// </summary>
    internal const int MaxBatchBytes = 16 * 1024;

    private static long s_nextId;

    // One token for every write and for the close: cancelled by the watchdog (write timeout), by Abort, and when the
    // close grace runs out. One source instead of a linked pair and its parents: an idle socket holds one small
    // object and no registrations (the writer loop waits without a token; every cancellation comes with a Close,
    // which wakes it).
    private readonly CancellationTokenSource _writeCancellation = new();
    private readonly SemaphoreSlim _writerWake = new(0);
    private readonly TimeSpan _writeTimeoutSpan;
    private readonly TimeSpan _closeGrace;
    private int _closeRequested;
    private volatile bool _writeTimedOut;
    private long _writeStarted;
    private Task? _pending;

    // The frames of the write in progress (only the gate's holder touches them): the first one, and the rest of a
    // batch in a list created the first time a socket catches up with several frames at once.
    private OutboxItem _first;
    private bool _hasFirst;
    private List<OutboxItem>? _more;
    private byte[]? _batchBuffer;
    private DisconnectReason _reason = DisconnectReason.ClientClosed;

    protected ClientConnection(Transport transport, AuthenticatedUser user, DeliveryOptions options, StreamingMetrics metrics, SocketWriteGate? gate = null)
    {
        Id = Interlocked.Increment(ref s_nextId);
        Transport = transport;
        User = user;
        Metrics = metrics;
        Outbox = new Outbox(options.OutboxCapacity, options.OutboxMaxBytes);
        _writeTimeoutSpan = TimeSpan.FromSeconds(options.WriteTimeoutSeconds);
        _closeGrace = TimeSpan.FromSeconds(options.CloseGraceSeconds);
        Gate = gate ?? new SocketWriteGate();
        Gate.Released = Pump;
    }

    public long Id { get; }

    public Transport Transport { get; }

    public AuthenticatedUser User { get; }

    public Outbox Outbox { get; }

    public bool IsClosing => Volatile.Read(ref _closeRequested) != 0;

    public DisconnectReason Reason => _reason;

    protected StreamingMetrics Metrics { get; }

    /// <summary>Held by whoever is writing to the socket.</summary>
    protected SocketWriteGate Gate { get; }

    /// <summary>Queues a frame and writes it if the socket is free; a full outbox closes the connection as slow and answers false.</summary>
    public bool Send(byte[] frame, bool isEvent = true, long receivedTimestamp = 0)
    {
        // The normal case: nothing queued and the socket free, so the frame goes straight out without passing the
        // outbox, which then never allocates its queue. The outbox is looked at again once the gate is held: only
        // the gate's holder takes frames out of it, so an empty outbox under the gate means every frame queued
        // before this one is already written (or handed to the writer loop, which holds the gate).
        if (Outbox.IsEmpty && !IsClosing && Gate.TryEnter())
        {
            if (Outbox.IsEmpty && !IsClosing)
            {
                if (WriteWithoutWaiting(new OutboxItem(frame, frame.Length, isEvent, receivedTimestamp)))
                {
                    Gate.ExitQuietly();
                    // Frames another thread queued while this one held the gate.
                    Pump();
                }

                return true;
            }

            Gate.ExitQuietly();
        }

        if (!Outbox.TryEnqueue(frame, isEvent, receivedTimestamp))
        {
            Close(DisconnectReason.Slow);
            return false;
        }

        Pump();
        return true;
    }

    /// <summary>
    /// Prefetch hints for a dispatcher that will send to this connection soon (<see cref="CacheLines"/>). Step 1:
    /// the objects this one points to (outbox, gate, the transport's writer); step 2, a recipient later, once those
    /// are cached: what they point to (the socket). Reads only fields that step 1 or the caller already brought in.
    /// </summary>
    public void PrefetchSendPath(int nearSteps)
    {
        if (nearSteps == 1)
        {
            CacheLines.Prefetch(Outbox);
            CacheLines.Prefetch(Gate);
        }

        PrefetchTransport(nearSteps);
    }

    /// <summary>The transport's part of <see cref="PrefetchSendPath"/>.</summary>
    protected virtual void PrefetchTransport(int nearSteps)
    {
    }

    /// <summary>
    /// Asks the writer loop to close. Never blocks, so a dispatcher may call it. The first reason wins. A writer
    /// stuck in a send gets <see cref="DeliveryOptions.CloseGraceSeconds"/> before the socket is aborted.
    /// </summary>
    public void Close(DisconnectReason reason)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }

        _reason = reason;
        Outbox.Complete();
        _writeCancellation.CancelAfter(_closeGrace);
        _writerWake.Release();
    }

    /// <summary>
    /// Called by <see cref="WriteWatchdog"/>: cancels a write that has been waiting for longer than the write timeout
    /// (the peer accepts no bytes); the writer loop then closes the connection as <see cref="DisconnectReason.WriteTimeout"/>.
    /// </summary>
    public void CheckWriteTimeout(long now)
    {
        var started = Volatile.Read(ref _writeStarted);
        if (started != 0 && Stopwatch.GetElapsedTime(started, now) > _writeTimeoutSpan)
        {
            // The reason first: cancelling the write aborts the socket, and the reader must not report that as the client's doing.
            Close(DisconnectReason.WriteTimeout);
            _writeTimedOut = true;
            _writeCancellation.Cancel();
        }
    }

    /// <summary>Aborts the transport now (the peer is gone or shutdown time is over).</summary>
    public void Abort()
    {
        Close(DisconnectReason.ClientClosed);
        _writeCancellation.Cancel();
    }

    /// <summary>
    /// Writes queued frames on the calling thread for as long as the socket takes them at once. Safe from any thread:
    /// the gate admits one writer, and a thread that finds it taken leaves its frame to the holder, which looks at
    /// the outbox again after letting go.
    /// </summary>
    private void Pump()
    {
        while (!IsClosing && !Outbox.IsEmpty && Gate.TryEnter())
        {
            if (!WriteQueuedWithoutWaiting())
            {
                return;
            }

            Gate.ExitQuietly();
        }
    }

    /// <summary>False when a write had to wait: it now belongs to the writer loop, and so does the gate.</summary>
    private bool WriteQueuedWithoutWaiting()
    {
        // One frame per write here: the socket is keeping up, and copying frames together only delays the first.
        while (TakeBatch(out var bytes, batch: false))
        {
            if (!StartWrite(bytes))
            {
                return false;
            }

            FinishBatch(written: true);
        }

        return true;
    }

    /// <summary>
    /// One frame that never entered the outbox (<see cref="Send"/>'s direct path); the caller holds the gate. False
    /// when the write had to wait: it now belongs to the writer loop, and so does the gate.
    /// </summary>
    private bool WriteWithoutWaiting(in OutboxItem item)
    {
        // Recorded before the write starts: a write that has to wait is counted by the writer loop when it completes.
        _first = item;
        _hasFirst = true;
        if (!StartWrite(item.Frame))
        {
            return false;
        }

        FinishBatch(written: true);
        return true;
    }

    /// <summary>Starts the write of the current batch; false when it has to wait, and then it, with the gate, belongs to the writer loop.</summary>
    private bool StartWrite(ReadOnlyMemory<byte> bytes)
    {
        ValueTask write;
        try
        {
            write = WriteFrameAsync(bytes, _writeCancellation.Token);
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            write = ValueTask.FromException(ex);
        }

        if (!write.IsCompletedSuccessfully)
        {
            // Watched by WriteWatchdog: one timer for all sockets instead of a timer operation per write.
            Volatile.Write(ref _writeStarted, Stopwatch.GetTimestamp());
            Volatile.Write(ref _pending, write.AsTask());
            _writerWake.Release();
            return false;
        }

        write.GetAwaiter().GetResult();
        return true;
    }

    /// <summary>
    /// Takes the queued frames for one write, and so one flush: a lone frame as it is (no copy, the normal case), or
    /// with <paramref name="batch"/> (the writer loop, for a socket that is catching up) several, up to
    /// <see cref="MaxBatchBytes"/>, copied into one pooled buffer.
    /// Only the gate's holder calls it, so the batch state needs no lock.
    /// </summary>
    private bool TakeBatch(out ReadOnlyMemory<byte> bytes, bool batch)
    {
        _more?.Clear();
        _hasFirst = false;
        bytes = default;
        if (IsClosing || !Outbox.TryDequeue(out var first))
        {
            return false;
        }

        _first = first;
        _hasFirst = true;
        if (!batch || !Outbox.TryPeekBytes(out var next) || first.Bytes + next > MaxBatchBytes)
        {
            bytes = first.Frame;
            return true;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxBatchBytes);
        first.Frame.CopyTo(buffer, 0);
        var length = first.Bytes;
        while (Outbox.TryPeekBytes(out next) && length + next <= MaxBatchBytes && Outbox.TryDequeue(out var item))
        {
            item.Frame.CopyTo(buffer, length);
            length += item.Bytes;
            (_more ??= []).Add(item);
        }

        _batchBuffer = buffer;
        bytes = buffer.AsMemory(0, length);
        return true;
    }

    /// <summary>Counts the batch's events once they are on the socket, and returns its pooled buffer.</summary>
    private void FinishBatch(bool written)
    {
        if (written && _hasFirst)
        {
            Written(_first);
            if (_more is { } more)
            {
                foreach (var item in more)
                {
                    Written(item);
                }
            }
        }

        _hasFirst = false;
        _first = default;
        _more?.Clear();
        if (_batchBuffer is { } buffer)
        {
            _batchBuffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Finishes writes that had to wait, then the frames queued behind them, and closes the transport when asked to.
    /// Runs for the life of the connection but is idle (no thread, no timer) while the socket keeps up.
    /// </summary>
    public async Task RunWriterAsync()
    {
        var token = _writeCancellation.Token;
        var holdsGate = false;
        try
        {
            while (true)
            {
                // No token: every cancellation comes with a Close, which wakes this loop, and a wait with a token
                // would hold a registration, a cancellation promise and a state machine for every idle socket.
                await _writerWake.WaitAsync();
                if (Interlocked.Exchange(ref _pending, null) is { } pending)
                {
                    holdsGate = true;
                    await pending;
                    FinishBatch(written: true);
                    while (TakeBatch(out var bytes, batch: true))
                    {
                        Volatile.Write(ref _writeStarted, Stopwatch.GetTimestamp());
                        await WriteFrameAsync(bytes, token);
                        FinishBatch(written: true);
                    }

                    Volatile.Write(ref _writeStarted, 0);
                    holdsGate = false;
                    // Exit runs Pump for frames queued while this loop held the gate.
                    Gate.Exit();
                }

                if (IsClosing)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            // The watchdog cancelled a stuck write (the transport reports it as cancellation or as an aborted
            // socket); anything else is a write to a socket the peer already closed or reset: a normal end.
            Close(_writeTimedOut ? DisconnectReason.WriteTimeout : DisconnectReason.ClientClosed);
        }
        finally
        {
            Volatile.Write(ref _writeStarted, 0);
        }

        try
        {
            // A write handed over while the close was being requested: finish it (or give up at the abort) and
            // free the gate, which the close frame needs.
            if (Interlocked.Exchange(ref _pending, null) is { } late)
            {
                holdsGate = true;
                await late.WaitAsync(token);
            }
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            // Closing anyway.
        }

        if (holdsGate)
        {
            // A batch that failed or was cut short is not counted as sent; its pooled buffer goes back.
            FinishBatch(written: false);
            Gate.ExitQuietly();
        }

        try
        {
            await CloseTransportAsync(_reason, token);
        }
        catch (Exception ex) when (IsTransportFailure(ex))
        {
            AbortTransport();
        }
    }

    private void Written(in OutboxItem item)
    {
        if (!item.IsEvent)
        {
            return;
        }

        Metrics.CountSent(Transport);
        if (item.ReceivedTimestamp != 0)
        {
            Metrics.RedisToSocketWrite.Observe(Stopwatch.GetElapsedTime(item.ReceivedTimestamp).TotalSeconds);
        }
    }

    private static bool IsTransportFailure(Exception ex) =>
        ex is OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException;

    /// <summary>Writes whole frames and pushes them to the socket; completes synchronously when the socket took them.</summary>
    protected abstract ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken);

    /// <summary>Ends the transport the way <paramref name="reason"/> asks (close frame, end of response, abort).</summary>
    protected abstract Task CloseTransportAsync(DisconnectReason reason, CancellationToken cancellationToken);

    protected abstract void AbortTransport();

}
