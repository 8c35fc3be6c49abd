using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using AotStreaming.Configuration;

namespace AotStreaming.Ingress;

/// <summary>
/// One raw RESP connection (TCP or Unix socket, optionally TLS) to one exact Redis or Sentinel process: the
/// subscriber's, a sentinel watch, a promotion probe. Commands are written with <see cref="Write"/>; replies are
/// read one at a time with <see cref="ReadReplyAsync"/>, or in bulk straight from <see cref="Reader"/>.
/// </summary>
internal sealed class RespLink : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;

    private RespLink(EndPoint endPoint, Socket socket, Stream stream)
    {
        EndPoint = endPoint;
        _socket = socket;
        _stream = stream;
        Writer = PipeWriter.Create(stream);
        Reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096));
    }

    public EndPoint EndPoint { get; }

    public PipeReader Reader { get; }

    public PipeWriter Writer { get; }

    /// <param name="tlsHost">The name the certificate must carry; null = plain TCP.</param>
    /// <remarks>
    /// The kernel receive buffer is left to the system on purpose: setting SO_RCVBUF turns off TCP's receive-window
    /// autotuning, which grows the window up to <c>net.ipv4.tcp_rmem</c>'s maximum (6 MB by default, 32 MB on the
    /// development machine) while a large
    /// message streams in; a fixed 8 MB (capped further by <c>net.core.rmem_max</c>) made Redis keep the rest in the
    /// subscriber's output buffer, which its pub/sub limit counts (issue 10 item 6).
    /// </remarks>
    public static async Task<RespLink> ConnectAsync(
        EndPoint endPoint, string? tlsHost, RedisCertificateTrust trust, TimeSpan timeout, CancellationToken cancel)
    {
        Socket socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            deadline.CancelAfter(timeout);
            await socket.ConnectAsync(endPoint, deadline.Token);
            Stream stream = new KernelWaitStream(socket);
            if (tlsHost is not null)
            {
                stream = await AuthenticateAsync(stream, tlsHost, trust, deadline.Token);
            }

            return new RespLink(endPoint, socket, stream);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The TLS target host is the host the endpoint was configured with (an IP address is checked against the
    /// certificate's IP names), or <c>SslHost</c>: the same rule StackExchange.Redis follows for the command connection.
    /// </summary>
    public static string TlsHost(EndPoint endPoint, string? sslHost) =>
        sslHost is { Length: > 0 } ? sslHost
        : endPoint switch
        {
            DnsEndPoint dns => dns.Host,
            IPEndPoint ip => ip.Address.ToString(),
            _ => "",
        };

    private static async Task<Stream> AuthenticateAsync(Stream inner, string host, RedisCertificateTrust trust, CancellationToken cancel)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        string? rejection = null;
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    var remaining = trust.Check(certificate, chain, errors);
                    // Described here: the chain's status is gone once the callback returns.
                    rejection = remaining == SslPolicyErrors.None ? null : RedisCertificateTrust.Describe(host, remaining, chain);
                    return rejection is null;
                },
            }, cancel);
            return ssl;
        }
        catch (AuthenticationException ex) when (rejection is not null)
        {
            await ssl.DisposeAsync();
            throw new AuthenticationException(rejection, ex);
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The connection's stream, for a reader that takes it over from <see cref="Reader"/> (the subscriber's read
    /// thread); it first takes what <see cref="Reader"/> already buffered with <see cref="TakeBuffered"/>.
    /// </summary>
    public Stream Stream => _stream;

    /// <summary>Bytes <see cref="Reader"/> read from the stream but nobody consumed yet; they are consumed now.</summary>
    public byte[] TakeBuffered()
    {
        if (!Reader.TryRead(out var result))
        {
            return [];
        }

        var bytes = result.Buffer.ToArray();
        Reader.AdvanceTo(result.Buffer.End);
        return bytes;
    }

    /// <summary>Shuts the socket down, which wakes a read blocked on it (the stream then reports its end).</summary>
    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Write(IReadOnlyList<string> command) => RespReader.WriteCommand(Writer, command);

    public ValueTask<FlushResult> FlushAsync(CancellationToken cancel) => Writer.FlushAsync(cancel);

    /// <summary>The next whole reply.</summary>
    public async ValueTask<object?> ReadReplyAsync(CancellationToken cancel)
    {
        while (true)
        {
            var result = await Reader.ReadAsync(cancel);
            var buffer = result.Buffer;
            var sequence = new SequenceReader<byte>(buffer);
            if (RespReader.TryRead(ref sequence, out var value))
            {
                Reader.AdvanceTo(sequence.Position);
                return value;
            }

            Reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new IOException($"{RedisEndPoints.Format(EndPoint)} closed the connection");
            }
        }
    }

    /// <summary>Writes one command and reads its reply.</summary>
    public async ValueTask<object?> CommandAsync(IReadOnlyList<string> command, CancellationToken cancel)
    {
        Write(command);
        await FlushAsync(cancel);
        return await ReadReplyAsync(cancel);
    }

    public async ValueTask DisposeAsync()
    {
        // Closing the socket first: nothing buffered is worth sending on a connection being dropped, and a flush on a
        // broken one must not replace the exception that explains why it is dropped.
        _socket.Dispose();
        try
        {
            await Reader.CompleteAsync();
            await Writer.CompleteAsync();
            await _stream.DisposeAsync();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }
    }
}
