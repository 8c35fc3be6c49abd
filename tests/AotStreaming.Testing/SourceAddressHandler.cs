using System.Net;
using System.Net.Sockets;

namespace AotStreaming.Testing;

/// <summary>
/// HTTP handlers whose connections leave from a chosen local address. Linux routes all of 127.0.0.0/8 to lo, so
/// 127.0.0.2 and 127.0.0.3 are two distinct clients of a proxy on 127.0.0.1 without any network set-up.
/// </summary>
public static class SourceAddressHandler
{
    public static SocketsHttpHandler Create(IPAddress source) => new()
    {
        ConnectCallback = async (context, cancel) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancel);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
