using System.Net;
using System.Net.Sockets;

namespace AotStreaming.Ingress;

/// <summary>
/// The subscriber's blocking reads over a real loopback socket pair that has been used asynchronously first (as the
/// connect and the TLS handshake use it). A zero-byte read is what <see cref="System.Net.Security.SslStream"/> issues
/// before each record; it once recursed until the stack overflowed, which only the TLS Redis tests showed.
/// </summary>
public sealed class KernelWaitStreamTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ZeroByteRead_WaitsForData_ReturnsZero_ConsumesNothing()
    {
        await using var pair = await LoopbackPair.ConnectAsync();
        var (server, stream) = (pair.Server, pair.Stream);

        var waiting = Task.Run(() => stream.Read(Span<byte>.Empty));
        // The read must still be waiting: nothing was sent.
        await AssertStillWaitingAsync(waiting);

        await server.SendAsync("abc"u8.ToArray());
        Assert.Equal(0, await waiting.WaitAsync(Bound));

        var buffer = new byte[16];
        var read = await Task.Run(() => stream.Read(buffer, 0, buffer.Length)).WaitAsync(Bound);
        Assert.Equal("abc", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
    }

    [Fact]
    public async Task Read_WaitsForData_ThenReturnsWhatArrived_AndZeroAtEndOfStream()
    {
        await using var pair = await LoopbackPair.ConnectAsync();
        var (server, stream) = (pair.Server, pair.Stream);
        var buffer = new byte[1024];

        var waiting = Task.Run(() => stream.Read(buffer.AsSpan()));
        await AssertStillWaitingAsync(waiting);
        await server.SendAsync(new byte[300]);
        Assert.Equal(300, await waiting.WaitAsync(Bound));

        server.Dispose();
        Assert.Equal(0, await Task.Run(() => stream.Read(buffer.AsSpan())).WaitAsync(Bound));
    }

    [Fact]
    public async Task Read_WokenByShutdown_WhileWaiting()
    {
        await using var pair = await LoopbackPair.ConnectAsync();
        var (client, stream) = (pair.Client, pair.Stream);

        var waiting = Task.Run(() => stream.Read(new byte[64].AsSpan()));
        await AssertStillWaitingAsync(waiting);
        client.Shutdown(SocketShutdown.Both);
        Assert.Equal(0, await waiting.WaitAsync(Bound));
    }

    /// <summary>Nothing can signal "still blocked"; a read that returned early would be done well within this.</summary>
    private static async Task AssertStillWaitingAsync(Task<int> read)
    {
        var first = await Task.WhenAny(read, Task.Delay(TimeSpan.FromMilliseconds(200)));
        Assert.NotSame(read, first);
    }

    /// <summary>A connected loopback pair; the client end has been used asynchronously (its connect), as in the server.</summary>
    private sealed class LoopbackPair(Socket client, Socket server) : IAsyncDisposable
    {
        public Socket Client { get; } = client;

        public Socket Server { get; } = server;

        public KernelWaitStream Stream { get; } = new(client);

        public static async Task<LoopbackPair> ConnectAsync()
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var accept = listener.AcceptAsync();
            await client.ConnectAsync(listener.LocalEndPoint!);
            return new LoopbackPair(client, await accept);
        }

        public async ValueTask DisposeAsync()
        {
            await Stream.DisposeAsync();
            Client.Dispose();
            Server.Dispose();
        }
    }
}
