using AotStreaming.Auth;
using AotStreaming.Diagnostics;
using AotStreaming.Protocol;

namespace AotStreaming.Delivery;

/// <summary>
/// The write path of <see cref="ClientConnection"/> over a scripted transport: frames go out on the sender's thread
/// while the socket keeps up, a write that has to wait moves the socket to the writer loop, and order holds across
/// the hand-over in both directions.
/// </summary>
public sealed class ClientConnectionWriteTests
{
    [Fact]
    public void Send_SocketTakesBytesAtOnce_WrittenBeforeSendReturnsWithoutWriterLoop()
    {
        var connection = new ScriptedConnection();

        connection.Send([1]);
        connection.Send([2]);

        Assert.Equal([[1], [2]], connection.Written);
        Assert.Equal(0, connection.Outbox.Frames);
    }

    [Fact]
    public async Task Send_WriteHasToWait_LaterFramesQueueAndWriterLoopWritesThemInOrderAsOneBatch()
    {
        var connection = new ScriptedConnection();
        var writer = connection.RunWriterAsync();
        var socketBusy = connection.NextWriteWaits();

        connection.Send([1]);
        connection.Send([2]);
        connection.Send([3]);

        Assert.Equal([[1]], connection.Written);
        Assert.Equal(2, connection.Outbox.Frames);

        socketBusy.SetResult();
        await connection.WaitForWrittenAsync(2);

        // The two frames that queued up behind the waiting write go out in one write, so with one flush.
        Assert.Equal([[1], [2, 3]], connection.Written);
        Assert.Equal(0, connection.Outbox.Frames);

        // Once the writer loop gives the socket back, the next frame goes out on the sender's thread again.
        await connection.WriteGate.EnterAsync(CancellationToken.None);
        connection.WriteGate.ExitQuietly();
        connection.Send([4]);
        Assert.Equal([[1], [2, 3], [4]], connection.Written);

        connection.Close(DisconnectReason.Shutdown);
        await writer;
        Assert.Equal(DisconnectReason.Shutdown, connection.ClosedWith);
    }

    [Fact]
    public void Send_GateHeldByControlFrame_QueuedUntilGateReleasedThenWritten()
    {
        var connection = new ScriptedConnection();
        Assert.True(connection.WriteGate.TryEnter());

        connection.Send([7]);
        Assert.Empty(connection.Written);
        Assert.Equal(1, connection.Outbox.Frames);

        connection.WriteGate.Exit();

        Assert.Equal([[7]], connection.Written);
        Assert.Equal(0, connection.Outbox.Frames);
    }

    [Fact]
    public async Task Send_OutboxFullWhileWriteWaits_ClosedAsSlowAndLoopEnds()
    {
        var connection = new ScriptedConnection(outboxCapacity: 2);
        var writer = connection.RunWriterAsync();
        var socketBusy = connection.NextWriteWaits();

        Assert.True(connection.Send([1]));
        Assert.True(connection.Send([2]));
        Assert.True(connection.Send([3]));
        Assert.False(connection.Send([4]));

        Assert.True(connection.IsClosing);
        socketBusy.SetResult();
        await writer;

        Assert.Equal(DisconnectReason.Slow, connection.ClosedWith);
        Assert.Equal([[1]], connection.Written);
    }

    [Fact]
    public async Task WriterLoop_BacklogLargerThanOneBatch_SplitIntoWritesOfAtMostMaxBatchBytesInOrder()
    {
        var connection = new ScriptedConnection(outboxCapacity: 100);
        var writer = connection.RunWriterAsync();
        var socketBusy = connection.NextWriteWaits();
        var frame = ClientConnection.MaxBatchBytes / 4;

        connection.Send([0]);
        for (byte i = 1; i <= 9; i++)
        {
            connection.Send(Enumerable.Repeat(i, frame).ToArray());
        }

        socketBusy.SetResult();
        await connection.WaitForWrittenAsync(4);

        var writes = connection.Written;
        Assert.Equal([1, 4 * frame, 4 * frame, frame], writes.Select(w => w.Length));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)i), writes.SelectMany(w => w).Distinct());
        connection.Close(DisconnectReason.Shutdown);
        await writer;
    }

    private sealed class ScriptedConnection(int outboxCapacity = 16) : ClientConnection(
        Transport.WebSocket,
        new AuthenticatedUser(1, 1, ["read"], null, 0),
        new DeliveryOptions { OutboxCapacity = outboxCapacity, WriteTimeoutSeconds = 30, CloseGraceSeconds = 2 },
        new StreamingMetrics())
    {
        private readonly object _lock = new();
        private readonly List<byte[]> _written = [];
        private TaskCompletionSource? _nextWait;
        private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<byte[]> Written
        {
            get
            {
                lock (_lock)
                {
                    return [.. _written];
                }
            }
        }

        public SocketWriteGate WriteGate => Gate;

        public DisconnectReason? ClosedWith { get; private set; }

        /// <summary>The next write completes only when the returned source is set (a full socket buffer).</summary>
        public TaskCompletionSource NextWriteWaits() => _nextWait = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Waits until <paramref name="count"/> writes (not frames) have been made.</summary>
        public async Task WaitForWrittenAsync(int count)
        {
            while (true)
            {
                Task progress;
                lock (_lock)
                {
                    if (_written.Count >= count)
                    {
                        return;
                    }

                    progress = _progress.Task;
                }

                await progress.WaitAsync(TimeSpan.FromSeconds(10));
            }
        }

        protected override ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frames, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                // A copy: a batch's pooled buffer goes back to the pool after the write.
                _written.Add(frames.ToArray());
                var progress = _progress;
                _progress = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                progress.SetResult();
            }

            if (Interlocked.Exchange(ref _nextWait, null) is { } wait)
            {
                return new ValueTask(wait.Task);
            }

            return ValueTask.CompletedTask;
        }

        protected override Task CloseTransportAsync(DisconnectReason reason, CancellationToken cancellationToken)
        {
            ClosedWith = reason;
            return Task.CompletedTask;
        }

        protected override void AbortTransport()
        {
        }
    }
}
