using System.Globalization;
using System.Net.WebSockets;

namespace AotStreaming.Benchmarks;

/// <summary>
/// A WebSocket subscriber: <c>/api/v1/streaming?stream=..&amp;access_token=..</c>. Per-client memory is the
/// socket plus one frame buffer and one unescape buffer, both grown only for frames that need it.
/// </summary>
internal sealed class WebSocketBenchClient : BenchClient
{
    // Fits a default status frame (~600 bytes) with room to spare; larger frames double it once.
    private const int InitialBufferBytes = 2048;

    private readonly ClientConnections _connections;
    private readonly Uri _uri;
    private ClientWebSocket? _socket;
    private byte[] _frame = [];
    private byte[] _scratch = [];

    public WebSocketBenchClient(int index, ClientRole role, bool stalled, LatencyRecorder recorder, ClientConnections connections, string stream, string token)
        : base(index, role, stalled, recorder)
    {
        _connections = connections;
        _uri = new Uri(connections.BaseWebSocket, $"/api/v1/streaming?stream={Uri.EscapeDataString(stream)}&access_token={Uri.EscapeDataString(token)}");
    }

    public override string Transport => "websocket";

    public override async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        // No client pings: the server pings (every 30 s upstream) and the runtime answers with pongs while reading.
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        try
        {
            await socket.ConnectAsync(_uri, Stalled ? _connections.StalledHttp : _connections.ReaderHttp, cancellationToken);
            _socket = socket;
            Connected = true;
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or OperationCanceledException)
        {
            socket.Dispose();
            ConnectError = ex.InnerException?.Message ?? ex.Message;
        }
    }

    public override async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var ended = await ReadFramesAsync(recordLatency: true, cancellationToken);
        if (ended is not null)
        {
            Disconnected = ended;
        }
    }

    public override async Task CheckStalledAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var ended = await ReadFramesAsync(recordLatency: false, deadline.Token);
        StallOutcome = ended is null ? StallOutcome.StillOpen : StallOutcome.ClosedByServer;
    }

    public override void Abort() => _socket?.Abort();

    /// <summary>Reads frames until the server ends the connection (returns why) or cancellation (returns null).</summary>
    private async Task<string?> ReadFramesAsync(bool recordLatency, CancellationToken cancellationToken)
    {
        if (_socket is not { } socket)
        {
            return null;
        }

        if (_frame.Length == 0)
        {
            _frame = new byte[InitialBufferBytes];
            _scratch = new byte[InitialBufferBytes];
        }

        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == _frame.Length)
                {
                    Array.Resize(ref _frame, _frame.Length * 2);
                }

                var result = await socket.ReceiveAsync(_frame.AsMemory(filled), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"close frame {(int?)socket.CloseStatus} {socket.CloseStatusDescription}");
                }

                filled += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var now = Now();
                if (StatusFrameParser.TryParseWebSocketFrame(_frame.AsSpan(0, filled), ref _scratch, out var status))
                {
                    OnStatus(status, now, recordLatency);
                }

                filled = 0;
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (WebSocketException ex)
        {
            return ex.InnerException?.Message ?? ex.Message;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }
}
