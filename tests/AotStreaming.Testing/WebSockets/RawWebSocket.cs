using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AotStreaming.Testing.WebSockets;

/// <summary>
/// A WebSocket client on a bare TCP socket, for tests that must see or send exact frames: an empty close frame, a
/// ping left unanswered, a frame with reserved bits set. The handshake and the framing are the load tool's
/// (<see cref="WebSocketHandshake"/>, <see cref="WebSocketFrameReader"/>, <see cref="WebSocketFrameWriter"/>), so
/// there is one raw client implementation, unit-tested once. Tests that only exchange messages use
/// <see cref="TestWebSocket"/> (the runtime's client) instead.
/// </summary>
public sealed class RawWebSocket : IDisposable
{
    private const int InitialBufferBytes = 4096;

    private readonly Socket _socket;
    private readonly WebSocketFrameReader _reader = new(InitialBufferBytes);

    private RawWebSocket(Socket socket) => _socket = socket;

    /// <summary>The server's 101 response head, blank line included.</summary>
    public string HandshakeResponse { get; private set; } = "";

    /// <summary>How long one read may wait; longer than the default for tests that wait for 30 s pings.</summary>
    public TimeSpan ReadTimeout { get; set; } = DefaultTimeoutExtensions.Timeout;

    /// <summary>
    /// Connects and upgrades; fails unless the server accepted the upgrade (101 with the right
    /// Sec-WebSocket-Accept). <paramref name="extraHeaders"/> are whole header lines, each ending in CRLF.
    /// A small <paramref name="receiveBufferBytes"/> (set before connecting) makes a client that stops reading fill
    /// the server's socket soon.
    /// </summary>
    public static async Task<RawWebSocket> ConnectAsync(StreamingServer server, string pathAndQuery, string extraHeaders = "", int receiveBufferBytes = 0)
    {
        var raw = new RawWebSocket(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
        try
        {
            if (receiveBufferBytes > 0)
            {
                raw._socket.ReceiveBufferSize = receiveBufferBytes;
            }

            await raw._socket.ConnectAsync(IPAddress.Loopback, server.Port).DefaultTimeout();
            var key = WebSocketHandshake.CreateKey();
            await raw.SendAllAsync(WebSocketHandshake.BuildRequest($"127.0.0.1:{server.Port}", pathAndQuery, key, extraHeaders));
            int headLength;
            while ((headLength = WebSocketHandshake.FindHeadLength(raw._reader.Buffered)) < 0)
            {
                if (!await raw.ReceiveAsync())
                {
                    throw new EndOfStreamException("connection closed before the handshake response ended: " + Encoding.Latin1.GetString(raw._reader.Buffered));
                }
            }

            raw.HandshakeResponse = Encoding.Latin1.GetString(raw._reader.Buffered[..headLength]);
            if (WebSocketHandshake.Validate(raw._reader.Buffered[..headLength], key) is { } refused)
            {
                throw new InvalidDataException($"{refused}\n{raw.HandshakeResponse}");
            }

            // Anything after the head is already the frame stream.
            raw._reader.Consume(headLength);
            return raw;
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    /// <summary>Sends a masked text frame (clients must mask).</summary>
    public Task SendTextAsync(string text) => SendFrameAsync((byte)(0x80 | (byte)WebSocketOpcode.Text), Encoding.UTF8.GetBytes(text));

    /// <summary>Answers a ping: a masked pong carrying the ping's payload (RFC 6455 §5.5.3).</summary>
    public Task SendPongAsync(byte[] payload) => SendFrameAsync((byte)(0x80 | (byte)WebSocketOpcode.Pong), payload);

    /// <summary>Sends one masked frame with the given first byte (FIN, RSV bits, opcode) and payload, whatever they are.</summary>
    public Task SendFrameAsync(byte first, byte[] payload)
    {
        var frame = new byte[WebSocketFrameWriter.FrameLength(payload.Length)];
        var length = WebSocketFrameWriter.WriteFrame(frame, first, payload);
        return SendAllAsync(frame.AsMemory(0, length));
    }

    /// <summary>
    /// The next server frame: a whole data message (fragments joined) or a control frame. Null once the server ended
    /// the connection (FIN or reset); a frame that breaks RFC 6455 throws <see cref="InvalidDataException"/>, and
    /// nothing within <see cref="ReadTimeout"/> throws <see cref="TimeoutException"/>.
    /// </summary>
    public async Task<RawFrame?> ReadFrameAsync()
    {
        while (true)
        {
            if (TryTakeFrame() is { } frame)
            {
                return frame;
            }

            if (!await ReceiveAsync())
            {
                return null;
            }
        }
    }

    /// <summary>Reads until the server ends the TCP stream (FIN or reset); returns the opcodes of the frames seen.</summary>
    public async Task<List<WebSocketOpcode>> ReadUntilEndAsync()
    {
        var opcodes = new List<WebSocketOpcode>();
        while (await ReadFrameAsync() is { } frame)
        {
            opcodes.Add(frame.Opcode);
        }

        return opcodes;
    }

    /// <summary>Drops the connection with a TCP reset (linger 0), as a client that crashes or loses its network.</summary>
    public void Reset()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    public void Dispose() => _socket.Dispose();

    private RawFrame? TryTakeFrame() =>
        _reader.TryRead(out var opcode, out var payload) ? new RawFrame(opcode, payload.ToArray()) : null;

    /// <summary>One receive into the reader; false at the end of the stream (a reset is an end too: the server terminated it).</summary>
    private async Task<bool> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        try
        {
            var received = await _socket.ReceiveAsync(_reader.GetReceiveMemory(), SocketFlags.None, timeout.Token);
            _reader.Advance(received);
            return received > 0;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return false;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"nothing received within {ReadTimeout}");
        }
    }

    private async Task SendAllAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None).DefaultTimeout();
            data = data[sent..];
        }
    }
}

/// <summary>A frame as <see cref="RawWebSocket"/> read it: the opcode and the unmasked payload.</summary>
public readonly record struct RawFrame(WebSocketOpcode Opcode, byte[] Payload)
{
    /// <summary>The status code of a close frame, or null when it carries none (RFC 6455 §5.5.1).</summary>
    public int? CloseStatus => WebSocketFrameReader.ReadCloseStatus(Payload, out _);
}
