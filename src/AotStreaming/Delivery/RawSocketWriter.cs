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

        ValueTask<int> send;
        try
        {
            send = _socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(Fault(ex));
        }

        if (send.IsCompletedSuccessfully)
        {
            var sent = send.Result;
            return sent == bytes.Length ? default : SendRestAsync(bytes[sent..], cancellationToken);
        }

        return AwaitSendAsync(send, bytes, cancellationToken);
    }

    private async ValueTask AwaitSendAsync(ValueTask<int> send, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        int sent;
        try
        {
            sent = await send.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw Fault(ex);
        }

        if (sent < bytes.Length)
        {
            await SendRestAsync(bytes[sent..], cancellationToken).ConfigureAwait(false);
        }
    }

    // A stream socket's send on Linux takes everything or fails, so this loop is for other platforms' partial sends.
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
