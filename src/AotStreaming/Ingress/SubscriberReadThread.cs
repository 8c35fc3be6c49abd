using System.Buffers;

namespace AotStreaming.Ingress;

/// <summary>
/// Reads the subscriber socket on a thread of its own, with blocking reads, and hands every RESP value to a callback
/// on that thread. Redis closes a subscriber whose output buffer passes its pub/sub limit (32 MB hard, 8 MB for 60 s
/// by default), so this read must keep up even when the thread pool is busy with delivering the very messages it
/// reads: an async read's continuation waits in the pool's queue behind them, a blocked thread is woken by the
/// kernel. The rest of a large payload is read straight into its final array (<see cref="PubSubMessageReader.PayloadRemaining"/>),
/// not through the read buffer: one copy fewer, and a 20 MB payload takes reads as large as the kernel has data.
/// Owned by one <see cref="RedisSubscriberConnection"/> connection attempt; it ends when the stream ends, fails, or
/// <paramref name="cancel"/> fires (the owner then aborts the socket, which wakes the blocked read).
/// </summary>
internal static class SubscriberReadThread
{
    /// <summary>Headers and normal messages (a few KB); grows only for an unusually large non-message reply.</summary>
    private const int BufferBytes = 64 * 1024;

    /// <summary>
    /// The most one read copies into a large payload. The kernel holds the socket's lock for the whole copy, and
    /// segments that arrive meanwhile wait unacknowledged in the socket's backlog; with reads of several megabytes a
    /// preempted read left Redis without acknowledgements (its loss probes fired, and once 238 ms passed without a
    /// byte in the middle of a message). Measured with three 20 MB statuses back-to-back (issue 10 item 6): uncapped,
    /// 0 of 4 runs kept the subscriber; 1 MiB, 3 of 6; 256 KiB, 13 of 17; 256 KiB or all that is queued (so the
    /// receive buffer autotunes larger), 1 of 6. Smaller reads cost a syscall per 256 KiB. With the thread at nice -10
    /// (ReadThreadPriority), which keeps it from being preempted mid-read, 1 MiB was no better: the native build lost
    /// the subscriber in 1 of 12 runs with either size.
    /// </summary>
    private const int MaxPayloadReadBytes = 256 * 1024;

    /// <param name="onStart">Called first on the new thread (it raises the thread's priority, ReadThreadPriority).</param>
    /// <param name="initial">Bytes already read from the stream by an earlier reader (the handshake's).</param>
    /// <param name="onValue">Called on the read thread for each whole RESP value, in order.</param>
    /// <param name="onRead">Called on the read thread after each successful read (the silence watchdog's clock).</param>
    /// <returns>Completes when the thread ends: faulted on a read error, canceled once <paramref name="cancel"/> fired.</returns>
    public static Task RunAsync(
        Action onStart, Stream stream, ReadOnlyMemory<byte> initial, PubSubMessageReader messages, Action<object?> onValue, Action onRead, CancellationToken cancel)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                onStart();
                Run(stream, initial, messages, onValue, onRead, cancel);
            }
            catch (Exception) when (cancel.IsCancellationRequested)
            {
                // Whatever the aborted socket threw, the reason the thread ended is the cancellation.
                done.TrySetCanceled(cancel);
                return;
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
                return;
            }

            done.TrySetCanceled(cancel);
        })
        {
            IsBackground = true,
            Name = "Redis subscriber read",
        };
        thread.Start();
        return done.Task;
    }

    private static void Run(
        Stream stream, ReadOnlyMemory<byte> initial, PubSubMessageReader messages, Action<object?> onValue, Action onRead, CancellationToken cancel)
    {
        var buffer = new byte[Math.Max(BufferBytes, initial.Length)];
        initial.CopyTo(buffer);
        int start = 0, end = initial.Length;
        while (!cancel.IsCancellationRequested)
        {
            if (end > start)
            {
                var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(buffer, start, end - start));
                while (messages.TryRead(ref reader, out var value))
                {
                    onValue(value);
                }

                start += (int)reader.Consumed;
                if (start == end)
                {
                    start = end = 0;
                }
            }

            int read;
            var payload = messages.PayloadRemaining;
            if (start == end && payload.Length > 0)
            {
                read = stream.Read(payload[..Math.Min(payload.Length, MaxPayloadReadBytes)]);
                if (read > 0)
                {
                    messages.PayloadReceived(read);
                }
            }
            else
            {
                if (end == buffer.Length)
                {
                    // The unconsumed tail is one incomplete value: move it to the front, or grow if it fills the buffer.
                    if (start > 0)
                    {
                        buffer.AsSpan(start, end - start).CopyTo(buffer);
                        end -= start;
                        start = 0;
                    }
                    else
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                }

                read = stream.Read(buffer, end, buffer.Length - end);
                end += read;
            }

            if (read == 0)
            {
                throw new IOException("Redis closed the subscriber connection");
            }

            onRead();
        }
    }
}
