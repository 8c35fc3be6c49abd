namespace AotStreaming.Delivery;

public sealed class OutboxTests
{
    [Fact]
    public void TryEnqueue_WhenFrameLimitReached_ReturnsFalse()
    {
        var outbox = new Outbox(maxFrames: 2, maxBytes: 0);

        Assert.True(outbox.TryEnqueue([1]));
        Assert.True(outbox.TryEnqueue([2]));

        Assert.False(outbox.TryEnqueue([3]));
    }

    [Fact]
    public void TryEnqueue_WhenByteLimitWouldBeExceeded_ReturnsFalse()
    {
        var outbox = new Outbox(maxFrames: 100, maxBytes: 100);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(outbox.TryEnqueue(new byte[19]));
        }

        Assert.False(outbox.TryEnqueue(new byte[6]));
        Assert.Equal(95, outbox.Bytes);
    }

    [Fact]
    public void TryEnqueue_LargeFrameBehindSmallBacklog_IsAccepted()
    {
        var outbox = new Outbox(maxFrames: 100, maxBytes: 10);
        Assert.True(outbox.TryEnqueue(new byte[3]));

        var accepted = outbox.TryEnqueue(new byte[50]);

        Assert.True(accepted);
    }

    [Fact]
    public void TryEnqueue_LargeFrames_FourMayWait_NotFive()
    {
        var outbox = new Outbox(maxFrames: 100, maxBytes: 100);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(outbox.TryEnqueue(new byte[500]));
        }

        Assert.False(outbox.TryEnqueue(new byte[500]));
        Assert.Equal(2000, outbox.Bytes);
    }

    [Fact]
    public void TryEnqueue_HeartbeatBehindThreeLargeFrames_IsAccepted()
    {
        var outbox = new Outbox(maxFrames: 100, maxBytes: 100);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(outbox.TryEnqueue(new byte[500]));
        }

        var accepted = outbox.TryEnqueue(new byte[20], isEvent: false);

        Assert.True(accepted);
    }

    [Fact]
    public void TryEnqueue_SmallFrameBehindLargeOne_IsAccepted()
    {
        var outbox = new Outbox(maxFrames: 100, maxBytes: 10);
        Assert.True(outbox.TryEnqueue(new byte[50]));

        var accepted = outbox.TryEnqueue(new byte[2]);

        Assert.True(accepted);
    }

    [Fact]
    public void TryEnqueue_FirstFrameLargerThanByteLimit_IsAccepted()
    {
        var outbox = new Outbox(maxFrames: 100, maxBytes: 10);

        var accepted = outbox.TryEnqueue(new byte[50]);

        Assert.True(accepted);
    }

    [Fact]
    public void TryDequeue_ReleasesCountsInFifoOrder()
    {
        var outbox = new Outbox(maxFrames: 2, maxBytes: 0);
        outbox.TryEnqueue([1]);
        outbox.TryEnqueue([2, 2]);

        Assert.True(outbox.TryDequeue(out var first));

        Assert.Equal([1], first.Frame);
        Assert.Equal(1, outbox.Frames);
        Assert.Equal(2, outbox.Bytes);
        Assert.True(outbox.TryEnqueue([3]));
    }

    [Fact]
    public void TryPeekBytes_ThenTryDequeue_SameFrameCountsKeptUntilDequeued()
    {
        var outbox = new Outbox(maxFrames: 10, maxBytes: 0);
        outbox.TryEnqueue([1]);
        outbox.TryEnqueue([2, 2]);

        Assert.True(outbox.TryPeekBytes(out var bytes));
        Assert.True(outbox.TryPeekBytes(out var again));

        Assert.Equal(1, bytes);
        Assert.Equal(1, again);
        Assert.False(outbox.IsEmpty);
        Assert.Equal(2, outbox.Frames);
        Assert.True(outbox.TryDequeue(out var first));
        Assert.Equal([1], first.Frame);
        Assert.True(outbox.TryDequeue(out var second));
        Assert.Equal([2, 2], second.Frame);
        Assert.True(outbox.IsEmpty);
        Assert.False(outbox.TryPeekBytes(out _));
    }

    /// <summary>
    /// Issue 10 item 6: ConcurrentQueue.TryPeek stops the queue from clearing dequeued slots, which kept written
    /// 20 MB frames alive after the burst. A written (dequeued) frame must be collectable.
    /// </summary>
    [Fact]
    public void TryDequeue_AfterPeek_OutboxHoldsNoReferenceToWrittenFrame()
    {
        var outbox = new Outbox(maxFrames: 10, maxBytes: 0);
        var written = EnqueuePeekDequeue(outbox);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Assert.False(written.IsAlive);
        GC.KeepAlive(outbox);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference EnqueuePeekDequeue(Outbox outbox)
    {
        var frame = new byte[100];
        outbox.TryEnqueue(frame);
        outbox.TryPeekBytes(out _);
        outbox.TryDequeue(out _);
        outbox.TryEnqueue([1]);
        outbox.TryPeekBytes(out _);
        return new WeakReference(frame);
    }

    [Fact]
    public void TryEnqueue_AfterComplete_ReturnsFalse()
    {
        var outbox = new Outbox(maxFrames: 10, maxBytes: 0);

        outbox.Complete();

        Assert.False(outbox.TryEnqueue([1]));
        Assert.Equal(0, outbox.Frames);
    }
}
