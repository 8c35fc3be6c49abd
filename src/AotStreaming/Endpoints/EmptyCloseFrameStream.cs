namespace AotStreaming.Endpoints;

/// <summary>
/// The upgraded connection's stream, with one rewrite on the way out: a close frame carrying status 1005 becomes an
/// empty close frame. .NET's WebSocket always writes the status it is given, but 1005 ("no status") must never be on
/// the wire (RFC 6455 §7.4.1) and strict clients (.NET's own ClientWebSocket) abort on it; upstream's kill sends an
/// empty close frame, which clients report as 1005 (reference §3.5).
/// </summary>
internal sealed class EmptyCloseFrameStream(Stream inner) : Stream
{
    // FIN + close opcode, unmasked payload length 2, status 1005 big-endian: what CloseOutputAsync(Empty) writes.
    private static readonly byte[] s_closeWith1005 = [0x88, 0x02, 0x03, 0xED];
    private static readonly byte[] s_emptyClose = [0x88, 0x00];

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(Rewrite(buffer.AsMemory(offset, count)).Span);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(Rewrite(buffer), cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(Rewrite(buffer.AsMemory(offset, count)), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }

    // The WebSocket writes each frame with one call, so the close frame arrives here whole.
    private static ReadOnlyMemory<byte> Rewrite(ReadOnlyMemory<byte> buffer) =>
        buffer.Span.SequenceEqual(s_closeWith1005) ? s_emptyClose : buffer;
}
