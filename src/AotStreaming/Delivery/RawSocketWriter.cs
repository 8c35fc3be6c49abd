using System.Net.Sockets;

namespace AotStreaming.Delivery;

/// <summary>
/// Writes an upgraded WebSocket's frames straight to its TCP socket, past Kestrel's output pipe: one <c>send</c> per
/// write and no copy into pipe blocks, no flush and no pipe reader loop (about 15% of the server's CPU per delivery
/// went there). Owned by the connection's <see cref="WebSocketTransportStream"/>, which lets only the holder of its
/// <see cref="SocketWriteGate"/> call <see cref="WriteAsync"/>: events and the runtime WebSocket's control frames go
/// through this one writer, so their order on the wire is the order in which the gate was taken.
/// <para>
/// Kestrel still owns the socket's lifetime and its reading side. It must have nothing left to send when this writer
/// starts: <see cref="TryCreate"/> only answers a writer when the 101 response has reached the kernel by the time
/// the upgrade returns, which holds with inline socket scheduling (Kestrel's send loop runs inside the flush).
/// </para>
/// </summary>
internal sealed class RawSocketWriter
{
    private readonly Socket _socket;

    // Set once a send failed or was cancelled: part of a frame may be on the wire, so nothing may follow it (not even
    // a close frame); every later write fails and the connection is aborted.
    private volatile bool _faulted;

    // Set by the first write: from then on a synchronous send tries once and answers WouldBlock instead of parking
    // the thread (see WriteAsync). Not before: the upgrade still peeks at the request with synchronous receives.
    // The descriptor is non-blocking already (the runtime's asynchronous operations made it so); this only changes
    // what a synchronous call does, and after the upgrade every read of the connection is asynchronous.
    private bool _nonBlocking;

    private RawSocketWriter(Socket socket) => _socket = socket;

    /// <summary>
    /// A writer for the upgraded connection's socket, or null (with the reason) when writes must stay on Kestrel's
    /// pipe: the option is off, the transport has no socket (tests on an in-memory transport), TLS wraps the socket,
    /// the protocol is not HTTP/1.1, or Kestrel's send loop does not run inline (the 101 might still be in its pipe).
    /// </summary>
    public static RawSocketWriter? TryCreate(Socket? socket, bool isTls, bool isHttp11, DeliveryOptions options, out string? fallbackReason)
    {
        fallbackReason = !options.RawSocketWrites ? "RawSocketWrites is off"
            : !options.InlineSocketScheduling ? "InlineSocketScheduling is off"
            : socket is null ? "the transport exposes no socket"
            : isTls ? "the connection uses TLS"
            : !isHttp11 ? "the request is not HTTP/1.1"
            : null;
        return fallbackReason is null ? new RawSocketWriter(socket!) : null;
    }

    /// <summary>Sends all of <paramref name="bytes"/>; completes synchronously when the kernel took them at once (the normal case).</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (_faulted)
        {
            return ValueTask.FromException(new IOException("an earlier write to this socket failed"));
        }

        // The normal case: one send() that the kernel takes whole, without the bookkeeping of an asynchronous
        // operation (the socket's cached event args taken, started, finished and returned: about 5% of the server's
        // CPU samples in a 5,000-client broadcast, against about 3% for this call).
        int sent;
        SocketError error;
        try
        {
            if (!_nonBlocking)
            {
                _socket.Blocking = false;
                _nonBlocking = true;
            }

            sent = _socket.Send(bytes.Span, SocketFlags.None, out error);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(Fault(ex));
        }

        if (error == SocketError.Success)
        {
            // A send that filled the socket's buffer midway answers what it took; the rest waits for room.
            return sent == bytes.Length ? default : SendRestAsync(bytes[sent..], cancellationToken);
        }

        return error == SocketError.WouldBlock
            ? SendRestAsync(bytes, cancellationToken)
            : ValueTask.FromException(Fault(new SocketException((int)error)));
    }

    /// <summary>The part of a frame the socket had no room for, sent as room appears (the connection's writer loop awaits it).</summary>
    private async ValueTask SendRestAsync(ReadOnlyMemory<byte> rest, CancellationToken cancellationToken)
    {
        try
        {
            while (!rest.IsEmpty)
            {
                rest = rest[await _socket.SendAsync(rest, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
            }
        }
        catch (Exception ex)
        {
            throw Fault(ex);
        }

        ForgetLastAsyncBuffer();
    }

    /// <summary>
    /// The socket's cached event args keep the buffer of the last asynchronous send until the next one, and with the
    /// normal case synchronous that can be a long time: a 20 MB frame stayed referenced after a burst (the RSS test
    /// of LargeMessageTests settled at 124 MB instead of 103 MB). An empty send replaces it: it completes at once
    /// (a stream socket's send of nothing returns 0) and puts nothing on the wire.
    /// </summary>
    private void ForgetLastAsyncBuffer()
    {
        try
        {
            var empty = _socket.SendAsync(ReadOnlyMemory<byte>.Empty, SocketFlags.None);
            if (!empty.IsCompleted)
            {
                // Not expected (nothing else is queued on the socket); observed so a failure goes nowhere.
                _ = empty.AsTask().ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            }
            else
            {
                _ = empty.GetAwaiter().GetResult();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The connection is ending; its socket goes with it.
        }
    }

    /// <summary>A prefetch hint (<see cref="CacheLines"/>): the socket and, usually beside it, its handle.</summary>
    public void PrefetchSocket() => CacheLines.Prefetch(_socket);

    /// <summary>
    /// Marks the writer unusable and turns a socket error into the <see cref="IOException"/> the connection's writer
    /// expects from a transport (a reset or a closed socket is a normal end, not a fault of ours).
    /// </summary>
    private Exception Fault(Exception ex)
    {
        _faulted = true;
        return ex switch
        {
            SocketException socketError => new IOException(socketError.Message, socketError),
            _ => ex,
        };
    }
}
