using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace AotStreaming.Testing;

/// <summary>A real <see cref="ClientWebSocket"/> with helpers to send commands and await frames.</summary>
public sealed class TestWebSocket : IAsyncDisposable
{
    private readonly byte[] _buffer = new byte[1 << 20];

    private TestWebSocket(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    public static Task<TestWebSocket> ConnectAsync(StreamingServer server, string pathAndQuery = "/api/v1/streaming", string? token = null, string? subprotocol = null, string? bearer = null) =>
        ConnectAsync(server.WebSocketBase, pathAndQuery, token, subprotocol, bearer);

    /// <summary>Connects to any base address (nginx in front of the server); <paramref name="invoker"/> can bind the source address.</summary>
    public static async Task<TestWebSocket> ConnectAsync(Uri webSocketBase, string pathAndQuery = "/api/v1/streaming", string? token = null, string? subprotocol = null, string? bearer = null, HttpMessageInvoker? invoker = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.CollectHttpResponseDetails = true;
        if (subprotocol is not null)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }

        if (bearer is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + bearer);
        }

        var separator = pathAndQuery.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        var uri = new Uri(webSocketBase, token is null ? pathAndQuery : $"{pathAndQuery}{separator}access_token={Uri.EscapeDataString(token)}");
        await socket.ConnectAsync(uri, invoker, CancellationToken.None).DefaultTimeout();
        return new TestWebSocket(socket);
    }

    public Task SendAsync(string text) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).DefaultTimeout();

    public Task SubscribeAsync(string stream, string? extra = null) =>
        SendAsync($"{{\"type\":\"subscribe\",\"stream\":\"{stream}\"{(extra is null ? "" : "," + extra)}}}");

    /// <summary>The next text frame; throws if the socket closes first.</summary>
    public async Task<string> ReceiveTextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeoutExtensions.Timeout);
        var length = 0;
        while (true)
        {
            var result = await Socket.ReceiveAsync(_buffer.AsMemory(length), cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new WebSocketClosedException(Socket.CloseStatus, Socket.CloseStatusDescription);
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(_buffer, 0, length);
            }
        }
    }

    public async Task<JsonElement> ReceiveJsonAsync(TimeSpan? timeout = null) =>
        JsonDocument.Parse(await ReceiveTextAsync(timeout)).RootElement.Clone();

    /// <summary>Reads (discarding frames) until the server closes; returns the close status the client saw.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Description)> ReceiveCloseAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeoutExtensions.Timeout);
        while (true)
        {
            var result = await Socket.ReceiveAsync(_buffer.AsMemory(), cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (Socket.CloseStatus, Socket.CloseStatusDescription);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }

        Socket.Dispose();
    }
}

public sealed class WebSocketClosedException(WebSocketCloseStatus? status, string? description)
    : Exception($"WebSocket closed: {status} {description}")
{
    public WebSocketCloseStatus? Status { get; } = status;

    public string? Description { get; } = description;
}
