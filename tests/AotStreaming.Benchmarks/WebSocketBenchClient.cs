using System.Globalization;
using System.Net.Sockets;
using AotStreaming.Testing.WebSockets;

namespace AotStreaming.Benchmarks;

/// <summary>
/// A WebSocket subscriber: <c>/api/v1/streaming?stream=..&amp;access_token=..</c>, spoken over a raw socket.
/// ClientWebSocket cost as much CPU per delivery as the server itself, and both share the same two cores, so the
/// tool inflated the latencies it measured. This client does only what the benchmark needs: the upgrade, unmasked
/// server frames parsed in place from one reusable buffer (every frame one receive brought, at one timestamp),
/// and the masked pong and close replies that keep it a well-behaved peer. Per-client memory is the socket, a
/// receive buffer and an unescape buffer, grown only for frames that need it.
/// </summary>
internal sealed class WebSocketBenchClient : BenchClient
{
    // Several default status frames (~600 bytes) per receive; bigger frames grow it.
    private const int InitialBufferBytes = 4096;

    // Fits a default status payload, unescaped; larger ones double it once.
    private const int InitialScratchBytes = 2048;

    // As SocketsHttpHandler.ConnectTimeout did for ClientWebSocket: TCP connect plus the upgrade response.
    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromSeconds(30);

    private readonly ClientConnections _connections;
    private readonly string _pathAndQuery;
    private Socket? _socket;
    private WebSocketFrameReader? _reader;
    private byte[] _scratch = [];
    private byte[] _reply = [];
    private int _replyLength;
    private string? _closeReason;
    private volatile bool _aborted;

    public WebSocketBenchClient(int index, ClientRole role, bool stalled, LatencyRecorder recorder, ClientConnections connections, string stream, string token)
        : base(index, role, stalled, recorder)
    {
        _connections = connections;
        _pathAndQuery = $"/api/v1/streaming?stream={Uri.EscapeDataString(stream)}&access_token={Uri.EscapeDataString(token)}";
    }

    private enum Step
    {
        NeedData,
        SendReply,
        Closed,
    }

    public override string Transport => "websocket";

    public override async Task ConnectAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_connectTimeout);
        Socket? socket = null;
        try
        {
            socket = await _connections.ConnectSocketAsync(Stalled, timeout.Token);
            var key = WebSocketHandshake.CreateKey();
            await SendAllAsync(socket, WebSocketHandshake.BuildRequest(_connections.Host, _pathAndQuery, key), timeout.Token);

            var reader = new WebSocketFrameReader(InitialBufferBytes);
            int headLength;
            while ((headLength = WebSocketHandshake.FindHeadLength(reader.Buffered)) < 0)
            {
                if (reader.Buffered.Length >= InitialBufferBytes)
                {
                    throw new InvalidDataException($"handshake: no end of the response head in {InitialBufferBytes} bytes");
                }

                var received = await socket.ReceiveAsync(reader.GetReceiveMemory(), SocketFlags.None, timeout.Token);
                if (received == 0)
                {
                    throw new InvalidDataException("handshake: connection closed before the response head ended");
                }

                reader.Advance(received);
            }

            if (WebSocketHandshake.Validate(reader.Buffered[..headLength], key) is { } refused)
            {
                throw new InvalidDataException(refused);
            }

            // Anything after the head is already the frame stream.
            reader.Consume(headLength);
            _reader = reader;
            _socket = socket;
            Connected = true;
        }
        catch (Exception ex) when (ex is SocketException or InvalidDataException or OperationCanceledException)
        {
            socket?.Dispose();
            ConnectError = ex.Message;
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

    public override void Abort()
    {
        _aborted = true;
        _socket?.Dispose();
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    /// <summary>Reads frames until the server ends the connection (returns why) or cancellation (returns null).</summary>
    private async Task<string?> ReadFramesAsync(bool recordLatency, CancellationToken cancellationToken)
    {
        if (_socket is not { } socket || _reader is not { } reader)
        {
            return null;
        }

        if (_scratch.Length == 0)
        {
            _scratch = new byte[InitialScratchBytes];
            _reply = new byte[WebSocketFrameWriter.MaxControlFrameBytes];
        }

        try
        {
            // The first pass reads what arrived together with the handshake response.
            while (true)
            {
                // All frames of one receive arrived at the same moment: one timestamp serves them all.
                var now = Now();
                Step step;
                while ((step = ProcessBuffered(reader, now, recordLatency)) == Step.SendReply)
                {
                    await SendAllAsync(socket, _reply.AsMemory(0, _replyLength), cancellationToken);
                }

                if (step == Step.Closed)
                {
                    await ReplyToCloseAsync(socket);
                    return _closeReason;
                }

                var received = await socket.ReceiveAsync(reader.GetReceiveMemory(), SocketFlags.None, cancellationToken);
                if (received == 0)
                {
                    socket.Dispose();
                    return "end of stream without a close frame";
                }

                reader.Advance(received);
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        catch (SocketException ex)
        {
            return _aborted ? null : ex.Message;
        }
        catch (InvalidDataException ex)
        {
            socket.Dispose();
            return "protocol error: " + ex.Message;
        }
    }

    /// <summary>Counts every complete status in the buffer; stops early when a control frame needs an answer.</summary>
    private Step ProcessBuffered(WebSocketFrameReader reader, long now, bool recordLatency)
    {
        while (reader.TryRead(out var opcode, out var payload))
        {
            switch (opcode)
            {
                case WebSocketOpcode.Text:
                    if (StatusFrameParser.TryParseWebSocketFrame(payload, ref _scratch, out var status))
                    {
                        OnStatus(status, now, recordLatency);
                    }

                    break;
                case WebSocketOpcode.Ping:
                    // The server drops a peer that does not answer its ping (every 30 s) in time.
                    _replyLength = WebSocketFrameWriter.WriteControl(_reply, WebSocketOpcode.Pong, payload);
                    return Step.SendReply;
                case WebSocketOpcode.Close:
                    var code = WebSocketFrameReader.ReadCloseStatus(payload, out var reason);
                    _closeReason = string.Create(CultureInfo.InvariantCulture, $"close frame {code} {reason}");
                    _replyLength = WebSocketFrameWriter.WriteCloseReply(_reply, code);
                    return Step.Closed;
                default:
                    // Binary frames and unsolicited pongs carry nothing the benchmark counts.
                    break;
            }
        }

        return Step.NeedData;
    }

    /// <summary>Completes the closing handshake; the server may already have gone, which is fine.</summary>
    private async Task ReplyToCloseAsync(Socket socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await SendAllAsync(socket, _reply.AsMemory(0, _replyLength), timeout.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}
