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

    private RawSocketWriter(Socket socket) => _socket = socket;

    /// <summary>
    /// A writer for the upgraded connection's socket, or null (with the reason) when writes must stay on Kestrel's
    /// pipe: the option is off, the transport has no socket (tests on an in-memory transport), TLS wraps the socket,
    /// the protocol is not HTTP/1.1, or Kestrel's send loop does not run inline (the 101 might still be in its pipe).
    /// </summary>
    public static RawSocketWriter? TryCreate(Socket? socket, bool isTls, bool isHttp11, DeliveryOptions options, out string? fallbackReason)
    {
        fallbackReason = FallbackReason(socket, isTls, isHttp11, options);
        if (fallbackReason is not null)
        {
            return null;
        }

        // Writes try a plain non-blocking send first (below); only a socket whose buffer is full waits asynchronously.
        socket!.Blocking = false;
        return new RawSocketWriter(socket);
    }

    /// <summary>Why writes must stay on Kestrel's pipe, or null when this writer can take them.</summary>
    public static string? FallbackReason(Socket? socket, bool isTls, bool isHttp11, DeliveryOptions options) =>
        !options.RawSocketWrites ? "RawSocketWrites is off"
        : !options.InlineSocketScheduling ? "InlineSocketScheduling is off"
        : socket is null ? "the transport exposes no socket"
        : isTls ? "the connection uses TLS"
        : !isHttp11 ? "the request is not HTTP/1.1"
        : null;

    /// <summary>Sends all of <paramref name="bytes"/>; completes synchronously when the kernel took them at once (the normal case).</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (_faulted)
        {
            return ValueTask.FromException(new IOException("an earlier write to this socket failed"));
        }

        // A non-blocking send: the normal case (the kernel takes the frame at once) completes here, without the
        // socket's async event args (about 300 bytes per connection, kept for its life) or their bookkeeping.
        int sent;
        try
        {
            sent = _socket.Send(bytes.Span, SocketFlags.None, out var error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                return ValueTask.FromException(Fault(new SocketException((int)error)));
            }
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(Fault(ex));
        }

        return sent == bytes.Length ? default : SendRestAsync(bytes[sent..], cancellationToken);
    }

    // What the kernel did not take at once (its send buffer is full: a slow reader), sent as it drains.
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
    }

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
