namespace AotStreaming.Endpoints;

/// <summary>
/// A connection feature on every connection the listener hands to Kestrel: it reports once that Kestrel began the
/// connection's first request (the request pipeline's first step calls <see cref="Ended"/>), or that the connection
/// closed before one. Until then a shutdown would close it without an answer (<see cref="StreamingTransport.StopAcceptingAsync"/>).
/// </summary>
internal sealed class FirstRequestWatch(IConnectionSorting listener)
{
    private int _ended;
    private CancellationTokenRegistration _closed;

    public void WatchClose(CancellationToken connectionClosed) =>
        _closed = connectionClosed.UnsafeRegister(static watch => ((FirstRequestWatch)watch!).Ended(), this);

    /// <summary>Idempotent: every request on a kept-alive connection calls it.</summary>
    public void Ended()
    {
        if (Volatile.Read(ref _ended) == 0 && Interlocked.Exchange(ref _ended, 1) == 0)
        {
            listener.FirstRequestEnded();
            _closed.Dispose();
        }
    }
}
