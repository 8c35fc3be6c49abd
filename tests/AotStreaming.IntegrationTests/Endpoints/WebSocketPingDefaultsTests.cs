using System.Diagnostics;
using AotStreaming.Support;
using AotStreaming.Testing;
using AotStreaming.Testing.WebSockets;
using Xunit;
using Xunit.Abstractions;

namespace AotStreaming.Endpoints;

/// <summary>A server with the shipped options: pings every 30 s.</summary>
public sealed class DefaultPingFixture : ServerFixture;

/// <summary>
/// Reference §3.5 at the shipped default (one slow test, about a minute): upstream's global 30 s tick pings every
/// socket and terminates one that has not answered the previous tick's ping. Raw clients, so the pings are seen.
/// </summary>
public sealed class WebSocketPingDefaultsTests(DefaultPingFixture fixture, ITestOutputHelper output) : IClassFixture<DefaultPingFixture>
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(30);

    // A loaded two-core CI machine delays timers and reads by seconds: generous above, and below only enough to
    // tell a 30 s interval from a shorter one.
    private static readonly TimeSpan s_late = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_early = TimeSpan.FromSeconds(10);

    private readonly StreamingServer _server = fixture.Server;

    [Fact]
    public async Task Ping_ShippedDefaults_EveryThirtySecondsAndSilentPeerTerminatedByTheNextTick_Section3_5()
    {
        var user = await fixture.Database.CreateUserAsync();
        var channel = $"timeline:{user.AccountId}";
        var clock = Stopwatch.StartNew();
        using var idle = await RawWebSocket.ConnectAsync(_server, "/api/v1/streaming?access_token=" + user.Token);
        using var busy = await RawWebSocket.ConnectAsync(_server, "/api/v1/streaming?stream=user&access_token=" + user.Token);
        using var silent = await RawWebSocket.ConnectAsync(_server, "/api/v1/streaming?access_token=" + user.Token);
        await _server.WaitForRedisSubscriptionAsync(channel);
        var budget = (2 * s_interval) + s_late;
        var idleRun = RunAsync(idle, clock, answerPings: true, stopAfterPings: 2, budget);
        var busyRun = RunAsync(busy, clock, answerPings: true, stopAfterPings: 2, budget);
        var silentRun = RunAsync(silent, clock, answerPings: false, stopAfterPings: int.MaxValue, budget);

        // A steady stream of events to the busy client for as long as it waits for its pings: our own frame
        // writes must not disturb the pings or the pong bookkeeping.
        var published = 0;
        while (!busyRun.IsCompleted && clock.Elapsed < budget)
        {
            await _server.PublishAsync(channel, RailsMessages.Delete($"steady{published++}"));
            await Task.Delay(200);
        }

        foreach (var (name, run) in new[] { ("idle", await idleRun), ("busy", await busyRun), ("silent", await silentRun) })
        {
            output.WriteLine($"{name}: pings at {string.Join(", ", run.Pings)}; ended {run.Ended?.ToString() ?? "no"}; {run.TextFrames} events");
        }

        foreach (var (name, run) in new[] { ("idle", await idleRun), ("busy", await busyRun) })
        {
            Assert.True(run.Ended is null, $"{name} client was disconnected at {run.Ended}");
            Assert.Equal(2, run.Pings.Count);
            Assert.True(run.Pings[0] <= s_interval + s_late, $"{name}: first ping {run.Pings[0]} after connecting");
            var gap = run.Pings[1] - run.Pings[0];
            Assert.True(gap >= s_interval - s_early && gap <= s_interval + s_late, $"{name}: pings {gap} apart");
        }

        Assert.True((await busyRun).TextFrames >= 50, $"busy client read {(await busyRun).TextFrames} of {published} events");
        var dead = await silentRun;
        Assert.NotNull(dead.Ended);
        var firstPing = Assert.Single(dead.Pings);
        Assert.True(dead.Ended <= (2 * s_interval) + s_late, $"silent client terminated {dead.Ended} after connecting");
        Assert.True(dead.Ended - firstPing >= s_interval - s_early, $"silent client terminated {dead.Ended - firstPing} after its ping");
        // Terminated as upstream's ws.terminate(): no close frame.
        Assert.False(dead.SawClose);
        // Counted when the connection's session ends, which can be just after the client saw its socket close.
        await MetricsText.WaitForAsync(_server, "aot_streaming_disconnects_total{reason=\"ping_timeout\"}", v => v >= 1);
    }

    private sealed record ClientRun(List<TimeSpan> Pings, int TextFrames, TimeSpan? Ended, bool SawClose);

    /// <summary>Reads frames, noting when pings arrive (and answering them if asked) until enough pings, the end, or the budget.</summary>
    private static async Task<ClientRun> RunAsync(RawWebSocket socket, Stopwatch clock, bool answerPings, int stopAfterPings, TimeSpan budget)
    {
        socket.ReadTimeout = budget + s_late;
        var pings = new List<TimeSpan>();
        var text = 0;
        var sawClose = false;
        while (pings.Count < stopAfterPings && clock.Elapsed < budget)
        {
            if (await socket.ReadFrameAsync() is not { } frame)
            {
                return new ClientRun(pings, text, clock.Elapsed, sawClose);
            }

            switch (frame.Opcode)
            {
                case WebSocketOpcode.Ping:
                    pings.Add(clock.Elapsed);
                    if (answerPings)
                    {
                        await socket.SendPongAsync(frame.Payload);
                    }

                    break;
                case WebSocketOpcode.Text:
                    text++;
                    break;
                case WebSocketOpcode.Close:
                    sawClose = true;
                    break;
            }
        }

        return new ClientRun(pings, text, null, sawClose);
    }
}
