namespace AotStreaming.Delivery;

/// <summary>
/// The upgraded connection's stream, shared by two writers: <see cref="WebSocketClient"/> writes its pre-framed text
/// frames straight through (<see cref="WriteFrameAsync"/>, holding the <see cref="Gate"/>), and the runtime WebSocket
/// writes its control frames (pong, keep-alive ping, close) through the ordinary Stream methods, which wait for the
/// gate. The runtime writes each frame with one call, so a frame is never split by another writer.
/// <para>
/// Everything the runtime reads passes <see cref="Pongs"/>, which counts the client's pongs for <see cref="WebSocketPinger"/>.
/// </para>
/// <para>
/// Once <see cref="UseRawSocket"/> has been called (right after the 101 response), every write of both writers goes
/// to the <see cref="RawSocketWriter"/> instead of Kestrel's output pipe; reads always come through Kestrel.
/// </para>
/// <para>
/// One rewrite on the way out: a close frame carrying status 1005 becomes an empty close frame. .NET's WebSocket
/// always writes the status it is given, but 1005 ("no status") must never be on the wire (RFC 6455 §7.4.1) and
/// strict clients (.NET's own ClientWebSocket) abort on it; upstream's kill sends an empty close frame, which clients
/// report as 1005 (reference §3.5).
/// </para>
/// </summary>
internal sealed class WebSocketTransportStream(Stream inner) : Stream
{
    // FIN + close opcode, unmasked payload length 2, status 1005 big-endian: what CloseOutputAsync(Empty) writes.
    private static readonly byte[] s_closeWith1005 = [0x88, 0x02, 0x03, 0xED];
    private static readonly byte[] s_emptyClose = [0x88, 0x00];

    public SocketWriteGate Gate { get; } = new();

    public PongCounter Pongs { get; } = new();

    private RawSocketWriter? _raw;

    /// <summary>True once writes bypass Kestrel's output pipe.</summary>
    public bool WritesToRawSocket => _raw is not null;

    /// <summary>The raw socket's writer once <see cref="UseRawSocket"/> was called, else null (writes go to Kestrel's pipe).</summary>
    public RawSocketWriter? RawWriter => _raw;

    /// <summary>Sends every later write through <paramref name="writer"/>; called once, before the first write.</summary>
    public void UseRawSocket(RawSocketWriter writer) => _raw = writer;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => _raw is not null || inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>
    /// Whole frames from the connection's writer, which already holds the gate. Kestrel's upgraded stream gets a large
    /// frame in slices (<see cref="PipeSlices"/>); the raw socket takes it whole (no pool behind it).
    /// </summary>
    public ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) =>
        _raw is { } raw ? raw.WriteAsync(frame, cancellationToken) : PipeSlices.WriteAsync(inner, frame, s_writeToStream, cancellationToken);

    private static readonly Func<Stream, ReadOnlyMemory<byte>, CancellationToken, ValueTask> s_writeToStream =
        static (stream, bytes, cancellationToken) => stream.WriteAsync(bytes, cancellationToken);

    public override void Flush()
    {
        if (_raw is null)
        {
            inner.Flush();
        }
    }

    // The raw socket has nothing to flush: a completed send is in the kernel.
    public override Task FlushAsync(CancellationToken cancellationToken) => _raw is null ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        Pongs.Observe(buffer.AsSpan(offset, read));
        return read;
    }

    // A zero-byte read (an idle socket waiting for its next frame) goes straight through: nothing to observe, and no
    // state machine of ours held for as long as the socket is idle.
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty ? inner.ReadAsync(buffer, cancellationToken) : ReadAndObserveAsync(buffer, cancellationToken);

    private async ValueTask<int> ReadAndObserveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        Pongs.Observe(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Gate.EnterAsync(cancellationToken);
        try
        {
            await WriteFrameAsync(Rewrite(buffer), cancellationToken);
        }
        finally
        {
            // Exit also writes the frames that queued up behind this control frame.
            Gate.Exit();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

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

    private static ReadOnlyMemory<byte> Rewrite(ReadOnlyMemory<byte> buffer) =>
        buffer.Span.SequenceEqual(s_closeWith1005) ? s_emptyClose : buffer;
}
