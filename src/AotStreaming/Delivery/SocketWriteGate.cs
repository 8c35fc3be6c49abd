namespace AotStreaming.Delivery;

/// <summary>
/// Who may write to one socket right now. Frames go out on whichever thread queued them when the gate is free
/// (<see cref="TryEnter"/> never waits), and the runtime's own WebSocket control frames (pong, ping, close) wait for
/// it (<see cref="EnterAsync"/>), so bytes of two frames never interleave on the wire.
/// <para>
/// Taking and leaving a free gate is one interlocked operation on a field of this object, because every delivery
/// does both: a SemaphoreSlim took and left its monitor twice per delivery and held a second object (its lock) per
/// socket, a cache miss each in a broadcast to thousands of sockets. Waiters (control frames only, rare) queue
/// under a lock; leaving hands the gate straight to the first of them.
/// </para>
/// </summary>
internal sealed class SocketWriteGate
{
    // 1 while someone holds the gate.
    private int _held;

    // Waiters queued (cancelled ones included until they are dequeued); read by every Exit, written under the lock.
    private int _waiting;

    // Created by the first waiter; also the lock for itself and for _waiting's increments.
    private Queue<Waiter>? _waiters;

    /// <summary>Called after every <see cref="Exit"/>, so frames queued while the gate was taken are written.</summary>
    public Action? Released { get; set; }

    public bool TryEnter() => Interlocked.CompareExchange(ref _held, 1, 0) == 0;

    public Task EnterAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        return TryEnter() ? Task.CompletedTask : WaitForGate(cancellationToken);
    }

    public void Exit()
    {
        Leave();
        Released?.Invoke();
    }

    /// <summary>Releases without the callback: the caller drains the queue itself.</summary>
    public void ExitQuietly() => Leave();

    private Task WaitForGate(CancellationToken cancellationToken)
    {
        var waiters = Volatile.Read(ref _waiters) ?? Interlocked.CompareExchange(ref _waiters, new Queue<Waiter>(), null) ?? _waiters!;
        lock (waiters)
        {
            // Counted before the last try: a holder leaving after this try sees the count and hands the gate over;
            // one that left before it left the gate free for this try.
            Interlocked.Increment(ref _waiting);
            if (TryEnter())
            {
                Interlocked.Decrement(ref _waiting);
                return Task.CompletedTask;
            }

            var waiter = new Waiter();
            if (cancellationToken.CanBeCanceled)
            {
                // The callback only completes the task (no lock), so registering under the lock cannot deadlock;
                // a cancelled waiter stays queued and is skipped by the next hand-over.
                waiter.Registration = cancellationToken.Register(static (state, token) => ((Waiter)state!).TrySetCanceled(token), waiter);
            }

            waiters.Enqueue(waiter);
            return waiter.Task;
        }
    }

    private void Leave()
    {
        Interlocked.Exchange(ref _held, 0);
        if (Volatile.Read(ref _waiting) == 0)
        {
            return;
        }

        var waiters = Volatile.Read(ref _waiters)!;
        lock (waiters)
        {
            while (waiters.Count > 0)
            {
                // Someone took the free gate meanwhile: its own Leave hands it over.
                if (!TryEnter())
                {
                    return;
                }

                var waiter = waiters.Dequeue();
                Interlocked.Decrement(ref _waiting);
                waiter.Registration.Dispose();
                if (waiter.TrySetResult())
                {
                    return;
                }

                // That waiter was cancelled: free the gate again and try the next.
                Interlocked.Exchange(ref _held, 0);
            }
        }
    }

    // Continuations run asynchronously: the thread leaving the gate (often a dispatcher) must not run the waiting
    // control frame's write inline.
    private sealed class Waiter() : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public CancellationTokenRegistration Registration { get; set; }
    }
}
