using AotStreaming.Filtering;
using AotStreaming.Support;
using AotStreaming.Testing;
using AotStreaming.Testing.Processes;
using Xunit;

namespace AotStreaming.Ingress;

/// <summary>
/// Ingress:ReadThreadNice at its shipped default (-10; the fixture passes no option). The Redis subscriber's read
/// thread runs at that nice value when the server may raise it (CAP_SYS_NICE here; the packaged unit's LimitNICE=-10
/// is checked in packaging/test-systemd-guest.sh), no other thread inherits it, and a server that may not raise it
/// says so once at info and still delivers.
/// </summary>
public sealed class ReadThreadPriorityTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int ShippedNice = -10;
    // prctl(PR_SET_NAME) keeps 15 bytes of the thread's name, "Redis subscriber read".
    private const string ReadThreadComm = "Redis subscribe";

    [Fact]
    public async Task ShippedDefault_ReadThreadAtNiceMinusTen_AfterTraffic_NoOtherThreadRaised()
    {
        // Traffic first: the read thread hands every message to the dispatchers, and the thread pool starts workers
        // from whichever thread queues work; a worker started from the read thread must not inherit its priority.
        await DeliverAsync(fixture.Server, fixture.Database, count: 300);

        var threads = ThreadPriorities.Of(fixture.Server.ProcessId);
        var reader = Assert.Single(threads, t => t.Comm == ReadThreadComm);
        if (ThreadPriorities.CanRaise())
        {
            Assert.Equal(ShippedNice, reader.Nice);
            Assert.Contains($"Redis subscriber read thread runs at nice {ShippedNice}", fixture.Server.Output, StringComparison.Ordinal);
        }
        else
        {
            // Unprivileged developer machines: the refusal path (the other test forces it where it can).
            Assert.Equal(0, reader.Nice);
            Assert.Contains("read thread stays at the process's priority", fixture.Server.Output, StringComparison.Ordinal);
        }

        Assert.All(threads.Where(t => t.Tid != reader.Tid), t => Assert.True(t.Nice == 0, $"thread {t.Tid} ({t.Comm}) at nice {t.Nice}"));
    }

    [Fact]
    public async Task WithoutCapSysNice_RefusalLoggedOnceAtInfo_ThreadAtZero_StillDelivers()
    {
        // setpriv drops CAP_SYS_NICE from the server's bounding and inheritable sets: even as root it then has no
        // way to lower a nice value (RLIMIT_NICE is 0 by default), like an unprivileged user outside the unit.
        await using var database = await MastodonDatabase.CreateAsync();
        await using var server = await StreamingServer.StartAsync(
            database, launcher: ["setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice", "--"]);

        await DeliverAsync(server, database, count: 20);

        Assert.Equal(0, Assert.Single(ThreadPriorities.Of(server.ProcessId), t => t.Comm == ReadThreadComm).Nice);
        var refusal = Assert.Single(server.Output.Split('\n'), line => line.Contains("read thread stays at the process's priority", StringComparison.Ordinal));
        Assert.Contains($"nice {ShippedNice} was refused (EPERM)", refusal, StringComparison.Ordinal);
        Assert.Contains("LimitNICE=-10", refusal, StringComparison.Ordinal);
        Assert.Contains("[INF]", refusal, StringComparison.Ordinal);
    }

    /// <summary>A user stream on WebSocket; <paramref name="count"/> statuses published and received in order.</summary>
    private static async Task DeliverAsync(StreamingServer server, MastodonDatabase database, int count)
    {
        var viewer = await database.CreateUserAsync();
        var author = await database.CreateUserAsync();
        var channel = $"timeline:{viewer.AccountId}";
        await using var socket = await FrameReceiver.ConnectWebSocketAsync(server, viewer, "user");
        await ChannelSync.SyncAsync(server, channel, socket);
        for (var i = 0; i < count; i++)
        {
            await server.PublishAsync(channel, FilterScenario.Status("s" + i, author.AccountId, author.Username));
        }

        for (var i = 0; i < count; i++)
        {
            Assert.Equal("s" + i, (await socket.NextAsync()).Id);
        }
    }
}
