using System.Net.Sockets;
using System.Text;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Endpoints;

/// <summary>
/// A WebSocket client written by hand on a TCP socket: it does the handshake and then reads raw bytes, so tests can
/// see exact frames (an empty close frame) or behave as a client that never answers pings.
/// </summary>
internal sealed class RawWebSocket : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawWebSocket(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public string HandshakeResponse { get; private set; } = "";

    /// <summary>How long one read may wait; longer than the default for tests that wait for 30 s pings.</summary>
    public TimeSpan ReadTimeout { get; set; } = DefaultTimeoutExtensions.Timeout;

    /// <param name="receiveBufferBytes">A small receive buffer (set before connect) makes a client that stops reading fill the server's socket soon.</param>
    public static async Task<RawWebSocket> ConnectAsync(StreamingServer server, string pathAndQuery, string extraHeaders = "", int receiveBufferBytes = 0)
    {
        var tcp = new TcpClient();
        if (receiveBufferBytes > 0)
        {
            tcp.ReceiveBufferSize = receiveBufferBytes;
        }

        await tcp.ConnectAsync("127.0.0.1", server.Port).DefaultTimeout();
        var socket = new RawWebSocket(tcp);
        var request = $"GET {pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n";
        await socket._stream.WriteAsync(Encoding.ASCII.GetBytes(request)).DefaultTimeout();
        var head = new List<byte>();
        while (!EndsWithBlankLine(head))
        {
            head.Add(await socket.ReadByteAsync() ?? throw new EndOfStreamException("no handshake response"));
        }

        socket.HandshakeResponse = Encoding.ASCII.GetString([.. head]);
        Assert.StartsWith("HTTP/1.1 101", socket.HandshakeResponse, StringComparison.Ordinal);
        return socket;
    }

    /// <summary>Sends a masked text frame (clients must mask).</summary>
    public Task SendTextAsync(string text) => SendFrameAsync(0x81, Encoding.UTF8.GetBytes(text));

    /// <summary>Answers a ping: a masked pong carrying the ping's payload (RFC 6455 §5.5.3).</summary>
    public Task SendPongAsync(byte[] payload) => SendFrameAsync(0x8A, payload);

    /// <summary>Sends one masked frame with the given first byte (FIN, RSV bits, opcode) and payload, whatever they are.</summary>
    public async Task SendFrameAsync(byte first, byte[] payload)
    {
        Assert.True(payload.Length < 126);
        var mask = new byte[] { 1, 2, 3, 4 };
        var frame = new byte[6 + payload.Length];
        frame[0] = first;
        frame[1] = (byte)(0x80 | payload.Length);
        mask.CopyTo(frame, 2);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
        }

        await _stream.WriteAsync(frame).DefaultTimeout();
    }

    /// <summary>One server frame (server frames are unmasked): opcode and payload; null at end of stream.</summary>
    public async Task<(int Opcode, byte[] Payload)?> ReadFrameAsync()
    {
        if (await ReadByteAsync() is not { } first)
        {
            return null;
        }

        var second = await ReadByteAsync() ?? throw new EndOfStreamException();
        long length = second & 0x7f;
        if (length == 126)
        {
            length = ((await ReadByteAsync())!.Value << 8) | (await ReadByteAsync())!.Value;
        }
        else if (length == 127)
        {
            length = 0;
            for (var i = 0; i < 8; i++)
            {
                length = (length << 8) | (await ReadByteAsync())!.Value;
            }
        }

        var payload = new byte[length];
        await _stream.ReadExactlyAsync(payload).AsTask().WaitAsync(ReadTimeout);
        return (first & 0x0f, payload);
    }

    /// <summary>Reads until the server ends the TCP stream (EOF or reset); returns the opcodes of the frames seen.</summary>
    public async Task<List<int>> ReadUntilEndAsync()
    {
        var opcodes = new List<int>();
        try
        {
            while (await ReadFrameAsync() is { } frame)
            {
                opcodes.Add(frame.Opcode);
            }
        }
        catch (IOException)
        {
            // A reset is an end too: the server terminated the connection.
        }

        return opcodes;
    }

    private async Task<byte?> ReadByteAsync()
    {
        var one = new byte[1];
        var read = await _stream.ReadAsync(one).AsTask().WaitAsync(ReadTimeout);
        return read == 0 ? null : one[0];
    }

    private static bool EndsWithBlankLine(List<byte> bytes) =>
        bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n';

    /// <summary>Drops the connection with a TCP reset (linger 0), as a client that crashes or loses its network.</summary>
    public void Reset()
    {
        _tcp.Client.LingerState = new LingerOption(true, 0);
        _tcp.Client.Close();
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
