using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using AotStreaming.Testing;

namespace AotStreaming.Support;

/// <summary>
/// Reads a WebSocket or SSE client in the background into a queue, so a test can wait for a frame with a
/// window without cancelling the socket read (cancelling a ClientWebSocket receive aborts the socket).
/// </summary>
public sealed class FrameReceiver : IAsyncDisposable
{
    private readonly Channel<StreamFrame> _frames = Channel.CreateUnbounded<StreamFrame>();
    private readonly IAsyncDisposable _client;
    private Task _pump = Task.CompletedTask;

    private FrameReceiver(IAsyncDisposable client) => _client = client;

    /// <summary>The close status the server sent, once the stream ended (null status: reset or end of body).</summary>
    public TaskCompletionSource<WebSocketCloseStatus?> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Events received so far, synchronisation probes excluded.</summary>
    public int Events { get; private set; }

    public static FrameReceiver Start(TestWebSocket socket)
    {
        var receiver = new FrameReceiver(socket);
        receiver._pump = Task.Run(() => receiver.PumpAsync(socket.Socket));
        return receiver;
    }

    public static FrameReceiver Start(TestSseClient client)
    {
        var receiver = new FrameReceiver(client);
        receiver._pump = Task.Run(() => receiver.PumpAsync(client));
        return receiver;
    }

    public static async Task<FrameReceiver> ConnectWebSocketAsync(StreamingServer server, TestUser user, string stream, string? extra = null)
    {
        var socket = await TestWebSocket.ConnectAsync(server, token: user.Token);
        await socket.SubscribeAsync(stream, extra);
        return Start(socket);
    }

    public static async Task<FrameReceiver> ConnectSseAsync(StreamingServer server, TestUser user, string pathAndQuery) =>
        Start(await TestSseClient.ConnectAsync(server, pathAndQuery, user.Token));

    /// <summary>Sends a client message (WebSocket receivers only).</summary>
    public Task SendAsync(string text) => ((TestWebSocket)_client).SendAsync(text);

    /// <summary>The next event; throws when nothing arrives in time or the stream ended.</summary>
    public async Task<StreamFrame> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeoutExtensions.Timeout);
        return await _frames.Reader.ReadAsync(cts.Token);
    }

    /// <summary>
    /// Reads until a <c>delete</c> with payload <paramref name="id"/> arrives (true) or <paramref name="window"/>
    /// passes (false). Earlier probes (payload starting <c>sync-</c>) are discarded; any other frame is an error.
    /// </summary>
    public async Task<bool> WaitForProbeAsync(string id, TimeSpan window)
    {
        using var cts = new CancellationTokenSource(window);
        try
        {
            while (true)
            {
                var frame = await _frames.Reader.ReadAsync(cts.Token);
                if (frame.Event == "delete" && frame.Payload == id)
                {
                    return true;
                }

                if (!(frame.Event == "delete" && frame.Payload.StartsWith("sync-", StringComparison.Ordinal)))
                {
                    throw new InvalidOperationException($"unexpected frame while synchronising: {frame}");
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task PumpAsync(ClientWebSocket socket)
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        Ended.TrySetResult(socket.CloseStatus);
                        return;
                    }

                    length += result.Count;
                }
                while (!result.EndOfMessage);

                using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
                var root = document.RootElement;
                var payload = root.GetProperty("payload");
                var stream = root.TryGetProperty("stream", out var s) ? s.GetRawText() : null;
                Add(new StreamFrame(
                    root.TryGetProperty("event", out var e) ? e.GetString()! : "",
                    payload.ValueKind == JsonValueKind.String ? payload.GetString()! : payload.GetRawText(),
                    stream));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            Ended.TrySetResult(null);
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    private async Task PumpAsync(TestSseClient client)
    {
        try
        {
            while (true)
            {
                var (name, data) = await client.ReadEventAsync(Timeout.InfiniteTimeSpan);
                Add(new StreamFrame(name, data, null));
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException or ObjectDisposedException or OperationCanceledException or HttpRequestException)
        {
            Ended.TrySetResult(null);
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    private void Add(StreamFrame frame)
    {
        if (!(frame.Event == "delete" && frame.Payload.StartsWith("sync-", StringComparison.Ordinal)))
        {
            Events++;
        }

        _frames.Writer.TryWrite(frame);
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        // A pending SSE read is not cancelled by disposing the response; the pump ends with the process then.
        await Task.WhenAny(_pump, Task.Delay(TimeSpan.FromMilliseconds(200)));
    }
}
