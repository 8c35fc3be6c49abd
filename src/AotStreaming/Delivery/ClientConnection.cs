using AotStreaming.Auth;
using AotStreaming.Diagnostics;
using AotStreaming.Filtering;

namespace AotStreaming.Delivery;

/// <summary>
/// One client (WebSocket or SSE): its outbox and the single writer loop that drains it. Everything that wants to
/// send (dispatchers, heartbeats, error frames) enqueues; only the writer loop touches the socket, so sends never
/// overlap and a slow socket costs only its own loop.
/// </summary>
internal abstract class ClientConnection
{
    private static long s_nextId;

    private readonly CancellationTokenSource _writeTimeout = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly TimeSpan _writeTimeoutSpan;
    private readonly TimeSpan _closeGrace;
    private int _closeRequested;
    private long _writeStarted;
    private DisconnectReason _reason = DisconnectReason.ClientClosed;

    protected ClientConnection(Transport transport, AuthenticatedUser user, DeliveryOptions options, StreamingMetrics metrics)
    {
        Id = Interlocked.Increment(ref s_nextId);
        Transport = transport;
        User = user;
        Metrics = metrics;
        Outbox = new Outbox(options.OutboxCapacity, options.OutboxMaxBytes);
        _writeTimeoutSpan = TimeSpan.FromSeconds(options.WriteTimeoutSeconds);
        _closeGrace = TimeSpan.FromSeconds(options.CloseGraceSeconds);
    }

    public long Id { get; }

    public Transport Transport { get; }

    public AuthenticatedUser User { get; }

    public Outbox Outbox { get; }

    /// <summary>The dispatcher that owns this connection's subscriptions; set once when attached.</summary>
    public int DispatcherIndex { get; set; }

    /// <summary>Keyword filters, loaded on the first filterable status; reset to null by <c>filters_changed</c>.</summary>
    public KeywordFilterSet? Filters { get; set; }

    /// <summary>Events waiting behind a status that is still being filtered; owned by the dispatcher's loop.</summary>
    internal Dispatch.DeferredDeliveries? Deferred { get; set; }

    /// <summary>Bumped by <c>filters_changed</c> so a load that raced with it is not kept.</summary>
    public int FiltersGeneration;

    public bool IsClosing => Volatile.Read(ref _closeRequested) != 0;

    public DisconnectReason Reason => _reason;

    protected StreamingMetrics Metrics { get; }

    /// <summary>Cancelled when the transport must be torn down at once (stuck write, shutdown grace over).</summary>
    protected CancellationToken AbortToken => _abort.Token;

    /// <summary>Queues a frame; a full outbox closes the connection as slow and answers false.</summary>
    public bool Send(byte[] frame, bool isEvent = true, long receivedTimestamp = 0)
    {
        if (Outbox.TryEnqueue(frame, isEvent, receivedTimestamp))
        {
            return true;
        }

        Close(DisconnectReason.Slow);
        return false;
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
        _abort.CancelAfter(_closeGrace);
    }

    /// <summary>
    /// Called by <see cref="WriteWatchdog"/>: cancels a batch that has been writing for longer than the write timeout
    /// (the peer accepts no bytes); the writer loop then closes the connection as <see cref="DisconnectReason.WriteTimeout"/>.
    /// </summary>
    public void CheckWriteTimeout(long now)
    {
        var started = Volatile.Read(ref _writeStarted);
        if (started != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(started, now) > _writeTimeoutSpan)
        {
            // The reason first: cancelling the write aborts the socket, and the reader must not report that as the client's doing.
            Close(DisconnectReason.WriteTimeout);
            _writeTimeout.Cancel();
        }
    }

    /// <summary>Aborts the transport now (the peer is gone or shutdown time is over).</summary>
    public void Abort()
    {
        Close(DisconnectReason.ClientClosed);
        _abort.Cancel();
    }

    public async Task RunWriterAsync()
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_writeTimeout.Token, _abort.Token);
        var token = linked.Token;
        try
        {
            while (await Outbox.WaitToReadAsync(token))
            {
                // Watched by WriteWatchdog: one timer for all sockets instead of a timer operation per batch.
                Volatile.Write(ref _writeStarted, System.Diagnostics.Stopwatch.GetTimestamp());
                var wrote = false;
                while (!IsClosing && Outbox.TryDequeue(out var item))
                {
                    await WriteFrameAsync(item.Frame, token);
                    if (item.IsEvent)
                    {
                        Metrics.CountSent(Transport);
                        if (item.ReceivedTimestamp != 0)
                        {
                            Metrics.RedisToSocketWrite.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(item.ReceivedTimestamp).TotalSeconds);
                        }
                    }

                    wrote = true;
                }

                if (wrote)
                {
                    await FlushAsync(token);
                }

                Volatile.Write(ref _writeStarted, 0);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The watchdog cancelled a stuck write (the transport reports it as cancellation or as an aborted
            // socket); anything else is a write to a socket the peer already closed or reset: a normal end.
            Close(_writeTimeout.IsCancellationRequested ? DisconnectReason.WriteTimeout : DisconnectReason.ClientClosed);
        }

        try
        {
            await CloseTransportAsync(_reason, _abort.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            AbortTransport();
        }
    }

    protected abstract ValueTask WriteFrameAsync(byte[] frame, CancellationToken cancellationToken);

    protected abstract ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>Ends the transport the way <paramref name="reason"/> asks (close frame, end of response, abort).</summary>
    protected abstract Task CloseTransportAsync(DisconnectReason reason, CancellationToken cancellationToken);

    protected abstract void AbortTransport();
}
