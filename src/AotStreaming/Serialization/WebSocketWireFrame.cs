using System.Buffers.Binary;

namespace AotStreaming.Serialization;

/// <summary>
/// RFC 6455 §5.2 framing of a server-to-client text message: FIN + text opcode, the payload length in 7, 7+16 or
/// 7+64 bits, no mask (servers never mask). Frames are built once per event and stream array and the same bytes go
/// to every recipient, so nothing is framed or copied per socket.
/// </summary>
internal static class WebSocketWireFrame
{
    private const byte FinText = 0x81;

    /// <summary>Header bytes for a text message of <paramref name="payloadLength"/> bytes.</summary>
    private static int HeaderLength(int payloadLength) => payloadLength < 126 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10;

    /// <summary>Writes the header into the start of <paramref name="frame"/>, which holds the payload after it.</summary>
    private static void WriteHeader(Span<byte> frame, int payloadLength)
    {
        frame[0] = FinText;
        if (payloadLength < 126)
        {
            frame[1] = (byte)payloadLength;
        }
        else if (payloadLength <= ushort.MaxValue)
        {
            frame[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame[2..], (ushort)payloadLength);
        }
        else
        {
            frame[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame[2..], (ulong)payloadLength);
        }
    }

    /// <summary>A whole text frame carrying <paramref name="payload"/>.</summary>
    public static byte[] Text(ReadOnlySpan<byte> payload)
    {
        var header = HeaderLength(payload.Length);
        var frame = GC.AllocateUninitializedArray<byte>(header + payload.Length);
        WriteHeader(frame, payload.Length);
        payload.CopyTo(frame.AsSpan(header));
        return frame;
    }

    /// <summary>A text frame of <paramref name="payloadLength"/> bytes, header written; the caller fills <paramref name="payload"/>.</summary>
    public static byte[] Allocate(int payloadLength, out Span<byte> payload)
    {
        var header = HeaderLength(payloadLength);
        // Uninitialized: the header is written here and the caller writes every payload byte.
        var frame = GC.AllocateUninitializedArray<byte>(header + payloadLength);
        WriteHeader(frame, payloadLength);
        payload = frame.AsSpan(header);
        return frame;
    }
}
