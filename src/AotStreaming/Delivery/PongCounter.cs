using System.Buffers.Binary;

namespace AotStreaming.Delivery;

/// <summary>
/// Counts the pong frames a client sends, by following the frame boundaries (RFC 6455 §5.2) in the bytes the runtime
/// WebSocket reads from the upgraded stream. The runtime consumes pongs itself and never reports them, and its own
/// keep-alive does not follow upstream's rule (<see cref="WebSocketPinger"/>), so liveness is judged on the wire.
/// Only the header bytes are looked at; payloads are skipped by length. Owned by the socket's single reader (the
/// runtime reads under its receive lock); <see cref="Pongs"/> may be read from any thread.
/// </summary>
internal sealed class PongCounter
{
    private const int PongOpcode = 0xA;

    // The longest client frame header: 2 bytes, a 64-bit extended length, a 4-byte mask key.
    private readonly byte[] _header = new byte[14];
    private int _headerLength;
    private long _payloadLeft;
    private long _pongs;

    public long Pongs => Interlocked.Read(ref _pongs);

    /// <summary>Follows <paramref name="bytes"/>, which must be the next bytes of the client's stream, in order.</summary>
    public void Observe(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                var skip = (int)Math.Min(_payloadLeft, bytes.Length);
                _payloadLeft -= skip;
                bytes = bytes[skip..];
                continue;
            }

            _header[_headerLength++] = bytes[0];
            bytes = bytes[1..];
            if (_headerLength < 2 || _headerLength < HeaderLength(_header[1]))
            {
                continue;
            }

            if ((_header[0] & 0x0F) == PongOpcode)
            {
                Interlocked.Increment(ref _pongs);
            }

            _payloadLeft = PayloadLength(_header);
            _headerLength = 0;
        }
    }

    private static int HeaderLength(byte second) =>
        2 + ((second & 0x7F) switch { 126 => 2, 127 => 8, _ => 0 }) + ((second & 0x80) != 0 ? 4 : 0);

    private static long PayloadLength(ReadOnlySpan<byte> header) => (header[1] & 0x7F) switch
    {
        126 => BinaryPrimitives.ReadUInt16BigEndian(header[2..]),
        // A length with the top bit set is invalid (§5.2) and the runtime fails the connection on it anyway.
        127 => (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(header[2..]), long.MaxValue),
        var small => small,
    };
}
