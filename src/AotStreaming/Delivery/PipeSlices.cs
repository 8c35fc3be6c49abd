namespace AotStreaming.Delivery;

/// <summary>
/// Writes a large frame to one of Kestrel's output pipes (an SSE response body, or an upgraded WebSocket when writes
/// do not go to the raw socket) a slice at a time, each written and flushed before the next. Kestrel copies whatever
/// is written into blocks of its pinned memory pool and keeps those blocks pooled after the send, so one 20 MB frame
/// written whole left 20 MB of pinned blocks behind (measured: 20.6 MB on the pinned object heap after the compacting
/// collection of <c>Ingress.LargeMessageMemory</c>, which cannot free pooled blocks; issue 10 item 6). In slices the
/// pipe never holds more than a slice plus Kestrel's response buffer. Frames of a normal size take one write, as before.
/// </summary>
internal static class PipeSlices
{
    /// <summary>
    /// 64 KiB: four times Kestrel's response buffer (<see cref="DeliveryOptions.ResponseBufferBytes"/>), so each flush
    /// still hands the kernel a useful amount, and a 20 MB frame takes about 320 writes instead of pinning 20 MB.
    /// </summary>
    public const int SliceBytes = 64 * 1024;

    /// <summary>Writes <paramref name="frame"/> with <paramref name="write"/> (a write that also flushes), in slices of at most <see cref="SliceBytes"/>.</summary>
    public static ValueTask WriteAsync<TState>(
        TState state, ReadOnlyMemory<byte> frame, Func<TState, ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, CancellationToken cancellationToken) =>
        frame.Length <= SliceBytes ? write(state, frame, cancellationToken) : WriteSlicesAsync(state, frame, write, cancellationToken);

    private static async ValueTask WriteSlicesAsync<TState>(
        TState state, ReadOnlyMemory<byte> frame, Func<TState, ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < frame.Length; offset += SliceBytes)
        {
            await write(state, frame.Slice(offset, Math.Min(SliceBytes, frame.Length - offset)), cancellationToken);
        }
    }
}
