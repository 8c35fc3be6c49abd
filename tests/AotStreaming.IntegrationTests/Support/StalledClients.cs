using System.Net.Sockets;
using System.Net.WebSockets;
using AotStreaming.Testing;

namespace AotStreaming.Support;

/// <summary>
/// Clients that never read, on sockets with a tiny receive buffer (set before connect, which also stops the
/// kernel from auto-tuning it), so the server's socket and outbox fill after a few hundred kilobytes.
/// </summary>
public static class StalledClients
{
    public static SocketsHttpHandler SmallBufferHandler() => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096, NoDelay = true };
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };

    public static async Task<ClientWebSocket> WebSocketAsync(StreamingServer server, TestUser user, string query)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var uri = new Uri(server.WebSocketBase, $"/api/v1/streaming?access_token={user.Token}&{query}");
        await socket.ConnectAsync(uri, new HttpMessageInvoker(SmallBufferHandler()), CancellationToken.None).DefaultTimeout();
        return socket;
    }

    /// <summary>An SSE response whose body is never read; dispose the client to drop it.</summary>
    public static async Task<(HttpClient Client, HttpResponseMessage Response)> SseAsync(StreamingServer server, TestUser user, string pathAndQuery)
    {
        var http = new HttpClient(SmallBufferHandler()) { BaseAddress = server.HttpBase, Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + user.Token);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).DefaultTimeout();
        response.EnsureSuccessStatusCode();
        return (http, response);
    }

    /// <summary>Reads the stalled WebSocket to its end: the close status, or null when the server reset it.</summary>
    public static async Task<WebSocketCloseStatus?> DrainAsync(ClientWebSocket socket)
    {
        var buffer = new byte[1 << 16];
        using var cts = new CancellationTokenSource(DefaultTimeoutExtensions.Timeout);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return socket.CloseStatus;
                }
            }
        }
        catch (WebSocketException)
        {
            return null;
        }
    }
}
