using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace AotStreaming.Testing.WebSockets;

/// <summary>
/// The receive side of a client WebSocket over a raw socket: one reusable buffer that the socket fills, and a
/// parser that hands out every complete message it holds. Data frames come back whole (fragments reassembled);
/// control frames come back as they arrive, also between the fragments of a message (RFC 6455 §5.4).
/// Payload spans point into the reader's buffers and stay valid until the next <see cref="GetReceiveMemory"/>.
/// </summary>
public sealed class WebSocketFrameReader
{
    // Frames larger than this are a broken stream, not a status: stop instead of allocating gigabytes.
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    private const int MaxControlPayload = 125;

    private byte[] _buffer;
    private int _start;
    private int _end;

    // Bytes the frame at _start needs in total; the buffer grows to hold it.
    private int _needed;

    // A fragmented data message is copied here frame by frame; unfragmented ones are parsed in place.
    private byte[] _message = [];
    private int _messageLength;
    private WebSocketOpcode? _messageOpcode;

    public WebSocketFrameReader(int initialBufferBytes)
    {
        _buffer = new byte[initialBufferBytes];
    }

    /// <summary>Bytes received but not yet consumed (the handshake reads its response head from here).</summary>
    public ReadOnlySpan<byte> Buffered => _buffer.AsSpan(_start, _end - _start);

    public int BufferSize => _buffer.Length;

    /// <summary>Free space for the next receive, after moving any partial frame to the front.</summary>
    public Memory<byte> GetReceiveMemory()
    {
        var pending = _end - _start;
        if (_start > 0)
        {
            // Usually nothing or a partial frame is left: the copy is small and keeps the buffer at its size.
            _buffer.AsSpan(_start, pending).CopyTo(_buffer);
            _start = 0;
            _end = pending;
        }

        if (_needed > _buffer.Length || _end == _buffer.Length)
        {
            var size = Math.Max(_buffer.Length * 2, (int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)_needed), MaxMessageBytes + 16L));
            Array.Resize(ref _buffer, size);
        }

        return _buffer.AsMemory(_end);
    }

    /// <summary>Records that the socket wrote <paramref name="count"/> bytes into the memory last handed out.</summary>
    public void Advance(int count) => _end += count;

    /// <summary>Drops bytes from the front, e.g. the HTTP response head that precedes the first frame.</summary>
    public void Consume(int count) => _start += count;

    /// <summary>
    /// Reads the next complete message or control frame. False when more bytes are needed. A stream that breaks
    /// the protocol throws <see cref="InvalidDataException"/>: the connection is beyond saving.
    /// </summary>
    public bool TryRead(out WebSocketOpcode opcode, out ReadOnlySpan<byte> payload)
    {
        while (TryReadFrame(out var fin, out opcode, out payload))
        {
            if (opcode >= WebSocketOpcode.Close)
            {
                return true;
            }

            if (opcode == WebSocketOpcode.Continuation)
            {
                if (_messageOpcode is not { } first)
                {
                    throw new InvalidDataException("continuation frame without a message to continue");
                }

                Append(payload);
                if (!fin)
                {
                    continue;
                }

                opcode = first;
                payload = _message.AsSpan(0, _messageLength);
                _messageOpcode = null;
                _messageLength = 0;
                return true;
            }

            if (_messageOpcode is not null)
            {
                throw new InvalidDataException("new data frame inside a fragmented message");
            }

            if (fin)
            {
                return true;
            }

            _messageOpcode = opcode;
            Append(payload);
        }

        return false;
    }

    private bool TryReadFrame(out bool fin, out WebSocketOpcode opcode, out ReadOnlySpan<byte> payload)
    {
        fin = false;
        opcode = default;
        payload = default;
        var data = _buffer.AsSpan(_start, _end - _start);
        if (data.Length < 2)
        {
            _needed = 2;
            return false;
        }

        var first = data[0];
        var second = data[1];
        if ((first & 0x70) != 0)
        {
            throw new InvalidDataException("reserved bits set without a negotiated extension");
        }

        if ((second & 0x80) != 0)
        {
            throw new InvalidDataException("masked frame from the server");
        }

        fin = (first & 0x80) != 0;
        opcode = (WebSocketOpcode)(first & 0x0F);
        if (opcode is not (WebSocketOpcode.Continuation or WebSocketOpcode.Text or WebSocketOpcode.Binary
            or WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong))
        {
            throw new InvalidDataException($"unknown opcode {(int)opcode}");
        }

        long length = second & 0x7F;
        var header = 2;
        if (length == 126)
        {
            header = 4;
            if (data.Length < header)
            {
                _needed = header;
                return false;
            }

            length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        }
        else if (length == 127)
        {
            header = 10;
            if (data.Length < header)
            {
                _needed = header;
                return false;
            }

            var wide = BinaryPrimitives.ReadUInt64BigEndian(data[2..]);
            length = wide > MaxMessageBytes ? long.MaxValue : (long)wide;
        }

        if (opcode >= WebSocketOpcode.Close && (!fin || length > MaxControlPayload))
        {
            throw new InvalidDataException("fragmented or oversized control frame");
        }

        if (length > MaxMessageBytes)
        {
            throw new InvalidDataException($"frame longer than {MaxMessageBytes} bytes");
        }

        var total = header + (int)length;
        if (data.Length < total)
        {
            _needed = total;
            return false;
        }

        payload = data.Slice(header, (int)length);
        _start += total;
        _needed = 0;
        return true;
    }

    /// <summary>The status code and reason of a close frame's payload (RFC 6455 §5.5.1); both are optional.</summary>
    public static int? ReadCloseStatus(ReadOnlySpan<byte> payload, out string reason)
    {
        if (payload.Length < 2)
        {
            reason = "";
            return null;
        }

        reason = Encoding.UTF8.GetString(payload[2..]);
        return BinaryPrimitives.ReadUInt16BigEndian(payload);
    }

    private void Append(ReadOnlySpan<byte> fragment)
    {
        var length = _messageLength + fragment.Length;
        if (length > MaxMessageBytes)
        {
            throw new InvalidDataException($"message longer than {MaxMessageBytes} bytes");
        }

        if (_message.Length < length)
        {
            Array.Resize(ref _message, Math.Max(length, Math.Max(_message.Length * 2, 1024)));
        }

        fragment.CopyTo(_message.AsSpan(_messageLength));
        _messageLength = length;
    }
}
