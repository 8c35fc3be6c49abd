using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace RawBroadcaster;

/// <summary>
/// Accepts TCP connections and answers any WebSocket upgrade with 101 (RFC 6455 §4.2.2), without looking at the
/// path, the token or anything but <c>Sec-WebSocket-Key</c>. After the handshake a socket only waits for its peer
/// to close: a zero-byte receive holds no buffer while it waits.
/// </summary>
internal sealed class UpgradeListener(IPEndPoint endPoint, SocketSet sockets) : IDisposable
{
    private const int MaxRequestHeadBytes = 8192;
    private static readonly byte[] s_keyHeader = "\r\nsec-websocket-key:"u8.ToArray();
    private static readonly byte[] s_headEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] s_refusal = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"u8.ToArray();

    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public void Start()
    {
        _listener.Bind(endPoint);
        _listener.Listen(4096);
        _ = AcceptLoopAsync();
    }

    public void Dispose() => _listener.Dispose();

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            socket.NoDelay = true;
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            var head = new byte[MaxRequestHeadBytes];
            var length = 0;
            int end;
            while ((end = head.AsSpan(0, length).IndexOf(s_headEnd)) < 0)
            {
                var received = length < head.Length ? await socket.ReceiveAsync(head.AsMemory(length), SocketFlags.None) : 0;
                if (received == 0)
                {
                    socket.Dispose();
                    return;
                }

                length += received;
            }

            if (AcceptKey(head.AsSpan(0, end + 2)) is not { } accept)
            {
                await socket.SendAsync(s_refusal, SocketFlags.None);
                socket.Dispose();
                return;
            }

            var response = Encoding.ASCII.GetBytes(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n");
            await socket.SendAsync(response, SocketFlags.None);
            sockets.Add(socket);

            // Wait for the peer to go; whatever it sends (pongs, a close frame) is read and dropped.
            while (true)
            {
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                var available = socket.Available;
                if (available == 0 || socket.Receive(new byte[Math.Min(available, 4096)], SocketFlags.None) == 0)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        sockets.Remove(socket);
    }

    /// <summary>Base64(SHA-1(key + GUID)) for the request head's Sec-WebSocket-Key, or null without one.</summary>
    private static string? AcceptKey(ReadOnlySpan<byte> head)
    {
        var lower = Encoding.ASCII.GetString(head).ToLowerInvariant();
        var at = lower.IndexOf(Encoding.ASCII.GetString(s_keyHeader), StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var valueStart = at + s_keyHeader.Length;
        var valueEnd = lower.IndexOf("\r\n", valueStart, StringComparison.Ordinal);
        // The key is case-sensitive base64: take it from the original head, not the lower-cased copy.
        var key = Encoding.ASCII.GetString(head[valueStart..valueEnd]).Trim();
        // RFC 6455 fixes SHA-1 for the accept key; it proves protocol awareness, not secrecy.
#pragma warning disable CA5350
        var hash = SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
#pragma warning restore CA5350
        return Convert.ToBase64String(hash);
    }
}
