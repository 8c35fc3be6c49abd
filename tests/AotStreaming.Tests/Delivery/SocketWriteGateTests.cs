namespace AotStreaming.Delivery;

/// <summary>
/// <see cref="SocketWriteGate"/>: one holder at a time, a free gate taken without waiting, waiters (control frames)
/// handed the gate in turn on exit, and a cancelled waiter skipped without losing the gate.
/// </summary>
public sealed class SocketWriteGateTests
{
    [Fact]
    public void TryEnter_HeldGate_RefusedUntilExit()
    {
        var gate = new SocketWriteGate();

        Assert.True(gate.TryEnter());
        Assert.False(gate.TryEnter());
        gate.ExitQuietly();
        Assert.True(gate.TryEnter());
    }

    [Fact]
    public async Task EnterAsync_HeldGate_WaitsAndIsHandedTheGateOnExit()
    {
        var gate = new SocketWriteGate();
        Assert.True(gate.TryEnter());

        var waiting = gate.EnterAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        gate.Exit();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        // Handed over, not freed: a sender that comes now has to queue behind the control frame.
        Assert.False(gate.TryEnter());
        gate.ExitQuietly();
        Assert.True(gate.TryEnter());
    }

    [Fact]
    public async Task EnterAsync_CancelledWaiter_SkippedAndTheNextWaiterGetsTheGate()
    {
        var gate = new SocketWriteGate();
        Assert.True(gate.TryEnter());
        using var cancel = new CancellationTokenSource();
        var cancelled = gate.EnterAsync(cancel.Token);
        var next = gate.EnterAsync(CancellationToken.None);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.False(next.IsCompleted);

        gate.ExitQuietly();
        await next.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(gate.TryEnter());
    }

    [Fact]
    public async Task Exit_OnlyCancelledWaitersQueued_GateIsFreeAfterwards()
    {
        var gate = new SocketWriteGate();
        Assert.True(gate.TryEnter());
        using var cancel = new CancellationTokenSource();
        var cancelled = gate.EnterAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        gate.ExitQuietly();

        Assert.True(gate.TryEnter());
    }

    [Fact]
    public async Task ManyThreads_SendersAndWaiters_NeverTwoHoldersAndEveryWaiterServed()
    {
        var gate = new SocketWriteGate();
        var holders = 0;
        var overlaps = 0;
        var served = 0;

        void Hold()
        {
            if (Interlocked.Increment(ref holders) != 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            Thread.SpinWait(20);
            Interlocked.Decrement(ref holders);
        }

        var senders = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                if (gate.TryEnter())
                {
                    Hold();
                    gate.ExitQuietly();
                }
            }
        }));
        var waiters = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                await gate.EnterAsync(CancellationToken.None);
                Hold();
                Interlocked.Increment(ref served);
                gate.Exit();
            }
        }));

        await Task.WhenAll(senders.Concat(waiters)).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, overlaps);
        Assert.Equal(4_000, served);
        Assert.True(gate.TryEnter());
    }
}
