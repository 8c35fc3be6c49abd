using System.Buffers.Binary;
using System.Security.Cryptography;

namespace AotStreaming.Testing.WebSockets;

/// <summary>
/// Client frames: the load tool's pong and close replies, and any frame a test wants to send, malformed ones
/// included. A client must mask every frame it sends with a fresh unpredictable key (RFC 6455 §5.3), and a server
/// must drop a client that does not, so these are masked.
/// </summary>
public static class WebSocketFrameWriter
{
    /// <summary>Control payloads fit the 7-bit length (RFC 6455 §5.5): header 2 + mask 4 + 125.</summary>
    public const int MaxControlFrameBytes = 2 + 4 + 125;

    /// <summary>Bytes a masked frame carrying <paramref name="payloadLength"/> bytes takes: header, mask key, payload.</summary>
    public static int FrameLength(int payloadLength) =>
        (payloadLength < 126 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10) + 4 + payloadLength;

    /// <summary>
    /// Writes one masked frame whose first byte (FIN, RSV bits, opcode) is <paramref name="first"/>, whatever it is,
    /// into <paramref name="destination"/> (at least <see cref="FrameLength"/> bytes) and returns its length.
    /// </summary>
    public static int WriteFrame(Span<byte> destination, byte first, ReadOnlySpan<byte> payload)
    {
        destination[0] = first;
        var header = 2;
        if (payload.Length < 126)
        {
            destination[1] = (byte)(0x80 | payload.Length);
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            destination[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payload.Length);
            header = 4;
        }
        else
        {
            destination[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payload.Length);
            header = 10;
        }

        var mask = destination.Slice(header, 4);
        RandomNumberGenerator.Fill(mask);
        var body = destination.Slice(header + 4, payload.Length);
        for (var i = 0; i < payload.Length; i++)
        {
            body[i] = (byte)(payload[i] ^ mask[i & 3]);
        }

        return header + 4 + payload.Length;
    }

    /// <summary>Writes one masked, final control frame into <paramref name="destination"/> and returns its length.</summary>
    public static int WriteControl(Span<byte> destination, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > 125)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), "control payloads are at most 125 bytes");
        }

        return WriteFrame(destination, (byte)(0x80 | (byte)opcode), payload);
    }

    /// <summary>A close frame that echoes the server's status code, as RFC 6455 §5.5.1 suggests; none if it sent none.</summary>
    public static int WriteCloseReply(Span<byte> destination, int? statusCode)
    {
        Span<byte> code = stackalloc byte[2];
        if (statusCode is not { } status)
        {
            return WriteControl(destination, WebSocketOpcode.Close, []);
        }

        BinaryPrimitives.WriteUInt16BigEndian(code, (ushort)status);
        return WriteControl(destination, WebSocketOpcode.Close, code);
    }
}
