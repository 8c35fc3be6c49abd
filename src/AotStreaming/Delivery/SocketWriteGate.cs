namespace AotStreaming.Delivery;

/// <summary>
/// Who may write to one socket right now. Frames go out on whichever thread queued them when the gate is free
/// (<see cref="TryEnter"/> never waits), and the runtime's own WebSocket control frames (pong, ping, close) wait for
/// it (<see cref="EnterAsync"/>), so bytes of two frames never interleave on the wire.
/// </summary>
internal sealed class SocketWriteGate
{
    private readonly SemaphoreSlim _semaphore = new(1, 1);

    /// <summary>Called after every <see cref="Exit"/>, so frames queued while the gate was taken are written.</summary>
    public Action? Released { get; set; }

    public bool TryEnter() => _semaphore.Wait(0);

    public Task EnterAsync(CancellationToken cancellationToken) => _semaphore.WaitAsync(cancellationToken);

    public void Exit()
    {
        _semaphore.Release();
        Released?.Invoke();
    }

    /// <summary>Releases without the callback: the caller drains the queue itself.</summary>
    public void ExitQuietly() => _semaphore.Release();
}
