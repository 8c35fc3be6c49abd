using System.Buffers.Binary;
using System.Security.Cryptography;

namespace AotStreaming.Benchmarks;

/// <summary>
/// The few frames the load tool sends: pong and close. A client must mask every frame it sends with a fresh
/// unpredictable key (RFC 6455 §5.3), and a server must drop a client that does not, so these are masked.
/// </summary>
internal static class WebSocketFrameWriter
{
    /// <summary>Control payloads fit the 7-bit length (RFC 6455 §5.5): header 2 + mask 4 + 125.</summary>
    public const int MaxControlFrameBytes = 2 + 4 + 125;

    /// <summary>Writes one masked, final control frame into <paramref name="destination"/> and returns its length.</summary>
    public static int WriteControl(Span<byte> destination, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > 125)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), "control payloads are at most 125 bytes");
        }

        destination[0] = (byte)(0x80 | (byte)opcode);
        destination[1] = (byte)(0x80 | payload.Length);
        var mask = destination.Slice(2, 4);
        RandomNumberGenerator.Fill(mask);
        var body = destination.Slice(6, payload.Length);
        for (var i = 0; i < payload.Length; i++)
        {
            body[i] = (byte)(payload[i] ^ mask[i & 3]);
        }

        return 6 + payload.Length;
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
