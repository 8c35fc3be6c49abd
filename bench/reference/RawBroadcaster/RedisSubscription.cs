using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RawBroadcaster;

/// <summary>
/// A minimal RESP2 subscriber on one socket: SUBSCRIBE to one channel, then hand every <c>message</c> push's
/// payload to the caller, on the calling thread. Nothing else of Redis is needed by a broadcaster.
/// </summary>
internal sealed class RedisSubscription : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RedisSubscription(Socket socket) => _socket = socket;

    public static RedisSubscription Connect(IPEndPoint endPoint, string channel)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(endPoint);
        var channelBytes = Encoding.UTF8.GetBytes(channel);
        socket.Send(Encoding.UTF8.GetBytes($"*2\r\n$9\r\nSUBSCRIBE\r\n${channelBytes.Length}\r\n{channel}\r\n"));
        return new RedisSubscription(socket);
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>Reads pushes until Redis closes the connection.</summary>
    public void Run(Action<ReadOnlyMemory<byte>> onMessage)
    {
        while (true)
        {
            // Every push is an array: ["message", channel, payload] or ["subscribe", channel, count].
            var header = ReadLine();
            if (header.Length == 0 || header[0] != '*')
            {
                throw new InvalidDataException("unexpected RESP reply: " + header);
            }

            var count = int.Parse(header.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
            var kind = ReadBulkString();
            if (kind == "message" && count == 3)
            {
                _ = ReadBulk();
                onMessage(ReadBulk());
                continue;
            }

            for (var i = 1; i < count; i++)
            {
                var line = ReadLine();
                if (line[0] == '$')
                {
                    _ = ReadExactly(int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) + 2);
                }
            }
        }
    }

    private string ReadBulkString() => Encoding.UTF8.GetString(ReadBulk().Span);

    /// <summary>A bulk string's bytes; valid until the next read.</summary>
    private ReadOnlyMemory<byte> ReadBulk()
    {
        var line = ReadLine();
        if (line.Length == 0 || line[0] != '$')
        {
            throw new InvalidDataException("expected a bulk string, got " + line);
        }

        var length = int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
        return ReadExactly(length + 2)[..length];
    }

    private string ReadLine()
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (newline >= 0)
            {
                var line = Encoding.ASCII.GetString(_buffer, _start, newline);
                _start += newline + 2;
                return line;
            }

            Fill(_end - _start + 1);
        }
    }

    private ReadOnlyMemory<byte> ReadExactly(int length)
    {
        while (_end - _start < length)
        {
            Fill(length);
        }

        var result = _buffer.AsMemory(_start, length);
        _start += length;
        return result;
    }

    /// <summary>Receives until at least <paramref name="needed"/> bytes are buffered (the message must fit the buffer).</summary>
    private void Fill(int needed)
    {
        if (needed > _buffer.Length)
        {
            throw new InvalidDataException($"a Redis message of {needed} bytes exceeds the {_buffer.Length}-byte buffer");
        }

        if (_buffer.Length - _start < needed)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        var received = _socket.Receive(_buffer.AsSpan(_end));
        if (received == 0)
        {
            throw new EndOfStreamException("Redis closed the connection");
        }

        _end += received;
    }
}
