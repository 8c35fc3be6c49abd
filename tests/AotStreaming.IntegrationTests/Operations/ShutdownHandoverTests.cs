using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AotStreaming.Testing;
using Xunit;

namespace AotStreaming.Operations;

/// <summary>
/// What SIGTERM does with connections the server took but whose request has not begun (StreamingTransport's
/// StopAcceptingAsync, at its shipped 2 s limit): a request that arrives during the stop is answered, and a client
/// that never sends one holds the stop for the limit and no longer.
/// </summary>
public sealed class ShutdownHandoverTests : IAsyncLifetime
{
    private const double ShippedLimitSeconds = 2;
    private static readonly byte[] s_health = Encoding.ASCII.GetBytes("GET /api/v1/streaming/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

    // A server of its own per test (each test stops it): the class fixture's set-up, run per test instance.
    private readonly ServerFixture _fixture = new();

    private MastodonDatabase Database => _fixture.Database;

    private StreamingServer Server => _fixture.Server;

    public Task InitializeAsync() => _fixture.InitializeAsync();

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact]
    public async Task Sigterm_TakenConnectionSendsItsRequestDuringTheStop_Answered()
    {
        using var silent = await ConnectTakenAsync();
        var user = await Database.CreateUserAsync();
        // A registered client, so that the stop announces itself in the log.
        await using var sse = await TestSseClient.ConnectAsync(Server, "/api/v1/streaming/user", user.Token);
        Assert.Equal(":)", await sse.ReadLineAsync());

        var stopped = Server.StopAsync(TimeSpan.FromSeconds(20));
        await Server.WaitForOutputAsync("Shutting down: closing").DefaultTimeout();
        var answer = await RequestAsync(silent);
        var exitCode = await stopped;

        Assert.StartsWith("HTTP/1.1 200 ", answer, StringComparison.Ordinal);
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task Sigterm_TakenConnectionStaysSilent_HoldsTheStopForTheShippedLimitOnly()
    {
        using var silent = await ConnectTakenAsync();

        var sigterm = Stopwatch.GetTimestamp();
        var exitCode = await Server.StopAsync(TimeSpan.FromSeconds(20));
        var stopSeconds = Stopwatch.GetElapsedTime(sigterm).TotalSeconds;

        Assert.Equal(0, exitCode);
        Assert.InRange(stopSeconds, ShippedLimitSeconds, ShippedLimitSeconds + 5);
        // Closed by the stop, without an answer.
        Assert.Equal(0, await silent.ReceiveAsync(new byte[64], SocketFlags.None).DefaultTimeout());
    }

    /// <summary>
    /// A connection that sends nothing, known to have been taken by the server: it connected before a second one, and
    /// the server accepts in order, so once the second is answered the first has been taken.
    /// </summary>
    private async Task<Socket> ConnectTakenAsync()
    {
        var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Server.Port));
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Server.Port));
        Assert.StartsWith("HTTP/1.1 200 ", await RequestAsync(probe), StringComparison.Ordinal);
        return silent;
    }

    private static async Task<string> RequestAsync(Socket socket)
    {
        await socket.SendAsync(s_health, SocketFlags.None);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None).DefaultTimeout()) > 0)
        {
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return received.ToString();
    }
}
