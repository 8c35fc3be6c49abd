using System.Net;
using System.Net.Sockets;

namespace AotStreaming.Benchmarks;

/// <summary>
/// How every client reaches the server: the HTTP handlers the SSE clients share (one for readers, one for
/// stalled clients) and <see cref="ConnectSocketAsync"/> for the raw-socket WebSocket clients. Stalled
/// clients' sockets get a tiny receive buffer so that back-pressure reaches the server after kilobytes, not
/// megabytes, of loopback autotuned buffering.
/// </summary>
internal sealed class ClientConnections : IDisposable
{
    // 4 KiB (the kernel doubles it): a stalled reader's window closes after a handful of frames.
    private const int StalledReceiveBufferBytes = 4096;

    // Real clients come from many addresses, and the server caps connections per address (256 by default):
    // spread ours over 127.1.0.0/16 (all of 127/8 is loopback on Linux), 100 connections per address.
    private const int ConnectionsPerSourceAddress = 100;

    private static int s_connectCount;

    public ClientConnections(int serverPort)
    {
        BaseHttp = new Uri($"http://127.0.0.1:{serverPort}");
        ServerEndPoint = new IPEndPoint(IPAddress.Loopback, serverPort);
        Host = $"127.0.0.1:{serverPort}";
        Readers = CreateHandler(receiveBufferBytes: null);
        Stalled = CreateHandler(StalledReceiveBufferBytes);
        ReaderHttp = new HttpClient(Readers, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        StalledHttp = new HttpClient(Stalled, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public Uri BaseHttp { get; }

    public IPEndPoint ServerEndPoint { get; }

    /// <summary>The Host header value for requests written by hand.</summary>
    public string Host { get; }

    public SocketsHttpHandler Readers { get; }

    public SocketsHttpHandler Stalled { get; }

    public HttpClient ReaderHttp { get; }

    public HttpClient StalledHttp { get; }

    /// <summary>A connected TCP socket from the next source address; stalled clients get the tiny receive buffer.</summary>
    public Task<Socket> ConnectSocketAsync(bool stalled, CancellationToken cancellationToken) =>
        ConnectAsync(ServerEndPoint, stalled ? StalledReceiveBufferBytes : null, cancellationToken);

    public void Dispose()
    {
        ReaderHttp.Dispose();
        StalledHttp.Dispose();
        Readers.Dispose();
        Stalled.Dispose();
    }

    private static IPAddress NextSourceAddress()
    {
        var n = (Interlocked.Increment(ref s_connectCount) - 1) / ConnectionsPerSourceAddress;
        return new IPAddress([127, 1, (byte)(n / 250), (byte)((n % 250) + 1)]);
    }

    private static SocketsHttpHandler CreateHandler(int? receiveBufferBytes) => new()
    {
        // Every SSE client holds one connection for the whole run; the default pool limit would queue them.
        MaxConnectionsPerServer = int.MaxValue,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(30),
        ConnectCallback = async (context, cancellationToken) =>
            new NetworkStream(await ConnectAsync(context.DnsEndPoint, receiveBufferBytes, cancellationToken), ownsSocket: true),
    };

    private static async Task<Socket> ConnectAsync(EndPoint server, int? receiveBufferBytes, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(NextSourceAddress(), 0));
            if (receiveBufferBytes is { } bytes)
            {
                // Must precede connect: the window scale is negotiated in the SYN.
                socket.ReceiveBufferSize = bytes;
            }

            await socket.ConnectAsync(server, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
