using System.Net.Sockets;

namespace RawBroadcaster;

/// <summary>
/// The upgraded sockets. Copy-on-write: the accept loop and the readers replace the array under a lock, the
/// broadcasting thread reads whichever array is current without one.
/// </summary>
internal sealed class SocketSet
{
    private readonly Lock _gate = new();
    private Socket[] _sockets = [];

    public void Add(Socket socket)
    {
        lock (_gate)
        {
            _sockets = [.. _sockets, socket];
        }
    }

    public void Remove(Socket socket)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_sockets, socket);
            if (index >= 0)
            {
                _sockets = [.. _sockets.AsSpan(0, index), .. _sockets.AsSpan(index + 1)];
            }
        }

        socket.Dispose();
    }

    /// <summary>One blocking send of the same bytes per socket; a socket that fails is dropped.</summary>
    public void SendToAll(byte[] frame)
    {
        foreach (var socket in Volatile.Read(ref _sockets))
        {
            try
            {
                socket.Send(frame, SocketFlags.None);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Remove(socket);
            }
        }
    }
}
