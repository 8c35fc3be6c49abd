using System.Buffers;
using System.IO.Pipelines;

namespace AotStreaming.Delivery;

/// <summary>
/// The read side of a WebSocket upgraded below Kestrel's HTTP layer (<c>ConnectionUpgrade</c>): the transport's
/// input pipe as a read-only stream for the runtime WebSocket. Writes never come here; they go to the raw socket
/// (<see cref="WebSocketTransportStream.UseRawSocket"/>).
/// <para>
/// A zero-byte read (the idle session's wait for its next frame) waits for data and consumes nothing, so an idle
/// connection holds no buffer of ours. Disposing (the WebSocket's abort) ends a pending read; the connection itself
/// is Kestrel's to close once the session returns.
/// </para>
/// </summary>
internal sealed class PipeInputStream(PipeReader input) : Stream
{
    private volatile bool _disposed;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = await input.ReadAsync(cancellationToken);
        if (result.IsCanceled || _disposed)
        {
            input.AdvanceTo(result.Buffer.Start);
            throw new ObjectDisposedException(nameof(PipeInputStream));
        }

        var available = result.Buffer;
        if (available.IsEmpty || buffer.IsEmpty)
        {
            // End of stream (completed and empty), or a zero-byte read that only waited for data to arrive.
            input.AdvanceTo(available.Start);
            return 0;
        }

        var count = (int)Math.Min(available.Length, buffer.Length);
        available.Slice(0, count).CopyTo(buffer.Span);
        input.AdvanceTo(available.GetPosition(count));
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            input.CancelPendingRead();
        }

        base.Dispose(disposing);
    }
}
