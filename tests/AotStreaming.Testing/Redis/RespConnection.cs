using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace AotStreaming.Testing.Redis;

/// <summary>
/// A plain RESP2 connection for test-side commands to one exact process (a sentinel, a replica, the master being
/// promoted). StackExchange.Redis follows masters and hides which process answered, which is what these tests
/// must control. Replies: string (simple or bulk), long, object?[] (arrays), null, or <see cref="RespReplyError"/>.
/// </summary>
public sealed class RespConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly Stream _stream;
    private readonly BufferedStream _reader;

    private RespConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new BufferedStream(_stream, 16 * 1024);
    }

    public static async Task<RespConnection> ConnectAsync(int port)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync("127.0.0.1", port).WaitAsync(TimeSpan.FromSeconds(3));
            return new RespConnection(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>One command on a short-lived connection.</summary>
    public static async Task<object?> CommandOnceAsync(int port, params string[] args)
    {
        await using var connection = await ConnectAsync(port);
        return await connection.CommandAsync(args);
    }

    public async Task<object?> CommandAsync(params string[] args)
    {
        var b = new StringBuilder();
        b.Append('*').Append(args.Length).Append("\r\n");
        foreach (var arg in args)
        {
            b.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
        }

        await _stream.WriteAsync(Encoding.UTF8.GetBytes(b.ToString())).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        return await Task.Run(ReadValue).WaitAsync(TimeSpan.FromSeconds(5));
    }

    private object? ReadValue()
    {
        var type = _reader.ReadByte();
        var line = ReadLine();
        switch (type)
        {
            case '+':
                return line;
            case '-':
                return new RespReplyError(line);
            case ':':
                return long.Parse(line, CultureInfo.InvariantCulture);
            case '$':
            {
                var length = int.Parse(line, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return null;
                }

                var bytes = new byte[length + 2];
                _reader.ReadExactly(bytes);
                return Encoding.UTF8.GetString(bytes, 0, length);
            }

            case '*':
            {
                var count = int.Parse(line, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return null;
                }

                var items = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    items[i] = ReadValue();
                }

                return items;
            }

            default:
                throw new IOException($"connection closed or bad RESP type {type}");
        }
    }

    private string ReadLine()
    {
        var b = new StringBuilder();
        while (true)
        {
            var c = _reader.ReadByte();
            if (c < 0)
            {
                throw new IOException("connection closed");
            }

            if (c == '\r')
            {
                _reader.ReadByte();
                return b.ToString();
            }

            b.Append((char)c);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.DisposeAsync();
        _client.Dispose();
    }
}

public sealed record RespReplyError(string Message);
